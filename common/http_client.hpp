// An HTTP/1.1 client over Boost.Beast and OpenSSL: kept-alive connections pooled per (scheme, host,
// port), a timeout on every step, TLS with verification on by default, and a streaming mode that hands
// a body to a callback piece by piece. Knows nothing of the services it talks to (Nomad, registries).
// HttpClient is for coroutines; BlockingHttpClient runs one on a private thread for blocking callers.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/error.hpp"
#include "common/http_types.hpp"

namespace nbs {

enum class TlsVerify { peer, none };

struct TlsOptions {
  std::string ca_file;      // PEM bundle of trusted CAs; empty (and no ca_path): the system trust store
  std::string ca_path;      // a directory of hashed CA certificates
  std::string client_cert;  // PEM certificate chain presented to the server (mTLS)
  std::string client_key;   // PEM private key of client_cert
  std::string server_name;  // SNI and the name the certificate must carry; empty: the URL's host
  TlsVerify verify = TlsVerify::peer;
};

struct HttpClientOptions {
  TlsOptions tls;
  std::size_t max_idle_per_host = 8;  // idle connections kept per (scheme, host, port)
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};  // older idle ones are closed
  std::string user_agent = "nbs";
};

struct HttpClientStats {
  std::uint64_t requests = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_reused = 0;
};

namespace detail {
class HttpPool;
}

class HttpClient {
 public:
  // Fails (invalid_argument, naming the file) when a TLS file cannot be loaded.
  static Result<HttpClient> create(boost::asio::any_io_executor executor, HttpClientOptions options = {});

  // Sends `request` and reads the whole response (at most request.max_body bytes of body). Any status
  // is a response; only failures to talk are errors: unavailable (refused, reset, DNS, TLS), timeout,
  // invalid_argument (bad URL), internal (body over the cap). A request on a kept-alive connection
  // that the server had closed is retried once on a new connection.
  boost::asio::awaitable<Result<HttpResponse>> request(HttpRequest request) const;

  // As request(), but a 2xx body goes to `sink` as it arrives and is never held whole; other bodies
  // are collected as usual (they are error texts). An error from the sink ends the call with it.
  boost::asio::awaitable<Result<HttpResponse>> stream(HttpRequest request, BodySink sink) const;

  HttpClientStats stats() const;

 private:
  explicit HttpClient(std::shared_ptr<detail::HttpPool> pool) : pool_(std::move(pool)) {}
  std::shared_ptr<detail::HttpPool> pool_;
};

// An HttpClient with its own io_context and thread, for code that blocks. Any number of threads may
// call at once. Sinks run on the private thread and must not call back into this client.
class BlockingHttpClient {
 public:
  static Result<std::unique_ptr<BlockingHttpClient>> create(HttpClientOptions options = {});
  ~BlockingHttpClient();
  BlockingHttpClient(const BlockingHttpClient&) = delete;
  BlockingHttpClient& operator=(const BlockingHttpClient&) = delete;

  Result<HttpResponse> request(const HttpRequest& request);
  Result<HttpResponse> stream(const HttpRequest& request, const BodySink& sink);
  HttpClientStats stats() const;

  struct Runner;  // the io_context and its thread

 private:
  explicit BlockingHttpClient(std::unique_ptr<Runner> runner);
  std::unique_ptr<Runner> runner_;
};

}  // namespace nbs
