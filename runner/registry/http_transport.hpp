// The HTTP the registry client needs, behind an interface so that tests can fake it and so that the
// shared common/http_client can replace BeastTransport without touching the client.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace nbs::runner::registry {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: http://host:port/path?query or https://…
  Headers headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;  // empty when a sink took it

  // The first header named `name` (case-insensitive); empty when absent.
  std::string header(std::string_view name) const;
};

// Receives a response body piece by piece; an error aborts the transfer.
using BodySink = std::function<Status(std::string_view chunk)>;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request and reads the whole answer, or streams a 2xx body into `sink` when given.
  // Network failures are ErrorKind::unavailable, timeouts ErrorKind::timeout; HTTP errors are answers.
  virtual Result<HttpResponse> send(const HttpRequest& request, const BodySink* sink = nullptr) = 0;
};

// Boost.Beast over plain TCP or TLS (system trust store, host name checked), one kept-alive connection
// per host, a timeout per operation, at most `max_body` bytes of body unless streamed.
std::unique_ptr<HttpTransport> make_beast_transport(std::chrono::seconds timeout = std::chrono::seconds(60),
                                                    std::size_t max_body = 16 * 1024 * 1024);

}  // namespace nbs::runner::registry
