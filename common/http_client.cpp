#include "common/http_client.hpp"

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/http_url.hpp"
#include "common/tls_context.hpp"

namespace nbs {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace detail {

struct PoolKey {
  bool tls = false;
  std::string host;
  std::string port;
  std::string address;  // HttpRequest::connect_to
  auto operator<=>(const PoolKey&) const = default;
};

// One kept-alive connection: plain TCP or TLS over TCP, with the read buffer that belongs to it.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  Clock::time_point idle_since;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

class HttpPool {
 public:
  HttpPool(net::any_io_executor executor, HttpClientOptions options, std::shared_ptr<net::ssl::context> tls)
      : executor_(std::move(executor)),
        options_(std::move(options)),
        tls_(std::move(tls)) {}  // tls may be null

  // The most recently used idle connection that is young enough, or null.
  std::unique_ptr<Connection> take(const PoolKey& key) {
    std::lock_guard lock(mu_);
    auto it = idle_.find(key);
    if (it == idle_.end()) {
      return nullptr;
    }
    auto& list = it->second;
    while (!list.empty()) {
      auto conn = std::move(list.back());
      list.pop_back();
      if (Clock::now() - conn->idle_since < options_.idle_timeout) {
        ++stats_reused_;
        return conn;
      }
    }
    return nullptr;
  }

  void give_back(const PoolKey& key, std::unique_ptr<Connection> conn) {
    conn->idle_since = Clock::now();
    std::lock_guard lock(mu_);
    auto& list = idle_[key];
    list.push_back(std::move(conn));
    while (list.size() > options_.max_idle_per_host) {
      list.pop_front();
    }
  }

  // Loading the system trust store costs ~25 ms per context, so a client that never speaks TLS (a
  // local registry, Nomad over http) never builds one: explicit TLS files are loaded at creation, to
  // report a bad path at once; the default trust store on the first TLS connection.
  Result<std::shared_ptr<net::ssl::context>> tls_context() {
    std::lock_guard lock(mu_);
    if (!tls_) {
      auto made = make_tls_context(options_.tls);
      if (!made) {
        return made.error();
      }
      tls_ = std::move(*made);
    }
    return tls_;
  }

  net::any_io_executor executor_;
  HttpClientOptions options_;
  std::atomic<std::uint64_t> stats_requests_{0};
  std::atomic<std::uint64_t> stats_opened_{0};
  std::atomic<std::uint64_t> stats_reused_{0};

 private:
  std::mutex mu_;
  std::shared_ptr<net::ssl::context> tls_;
  std::map<PoolKey, std::deque<std::unique_ptr<Connection>>> idle_;
};

}  // namespace detail

namespace {

using detail::Connection;
using detail::HttpPool;

constexpr std::size_t k_chunk_size = std::size_t{64} * 1024;

Error io_error(const beast::error_code& ec, std::string_view step, const HttpRequest& request) {
  const bool timed_out = ec == beast::error::timeout || ec == net::error::timed_out;
  return make_error(timed_out ? ErrorKind::timeout : ErrorKind::unavailable,
                    "http: " + request.method + " " + request.url + ": " + std::string(step) + ": " +
                        (timed_out ? std::string("timed out") : ec.message()));
}

// Errors that mean a kept-alive connection had been closed by the server before we used it.
bool is_stale_connection(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::ssl::error::stream_truncated;
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  (void)net::ip::make_address(host, ec);
  return !ec;
}

// What one exchange learned besides its result: whether a retry on a new connection is safe, and
// whether the connection may go back to the pool.
struct ExchangeState {
  beast::error_code ec;
  bool response_started = false;
  bool keep_alive = false;
};

net::awaitable<Result<std::unique_ptr<Connection>>> open_connection(HttpPool& pool, const HttpTarget& target,
                                                                    const HttpRequest& request) {
  beast::error_code ec;
  tcp::resolver resolver(pool.executor_);
  auto endpoints =
      co_await resolver.async_resolve(request.connect_to.empty() ? target.host : request.connect_to,
                                      target.port, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return io_error(ec, "resolve", request);
  }
  beast::tcp_stream stream(pool.executor_);
  stream.expires_after(request.timeouts.connect);
  co_await stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return io_error(ec, "connect", request);
  }
  stream.socket().set_option(tcp::no_delay(true), ec);
  auto conn = std::make_unique<Connection>();
  ++pool.stats_opened_;
  if (!target.tls) {
    conn->plain.emplace(std::move(stream));
    co_return conn;
  }
  auto context = pool.tls_context();
  if (!context) {
    co_return context.error();
  }
  conn->tls.emplace(std::move(stream), **context);
  const TlsOptions& tls = pool.options_.tls;
  const std::string& name = tls.server_name.empty() ? target.host : tls.server_name;
  if (!is_ip_literal(name)) {
    // SNI carries only DNS names (RFC 6066).
    SSL_set_tlsext_host_name(conn->tls->native_handle(), name.c_str());
  }
  if (tls.verify == TlsVerify::peer) {
    conn->tls->set_verify_callback(net::ssl::host_name_verification(name));
  }
  co_await conn->tls->async_handshake(net::ssl::stream_base::client,
                                      net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return io_error(ec, "tls handshake", request);
  }
  co_return conn;
}

http::request<http::string_body> make_message(const HttpTarget& target, const HttpRequest& request,
                                              const HttpClientOptions& options) {
  http::request<http::string_body> msg;
  msg.version(11);
  const http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    msg.method_string(request.method);
  } else {
    msg.method(verb);
  }
  msg.target(target.target);
  msg.set(http::field::host, target.host_header);
  msg.set(http::field::user_agent, options.user_agent);
  for (const auto& [name, value] : request.headers) {
    msg.insert(name, value);
  }
  msg.body() = request.body;
  if (!request.body.empty() || verb == http::verb::put || verb == http::verb::post) {
    msg.prepare_payload();
  }
  return msg;
}

// Writes the request and reads the response on one connection; the body goes to `sink` when given and
// the status is 2xx, else into the response (capped).
template <class Stream>
net::awaitable<Result<HttpResponse>> exchange_on(Stream& stream, Connection& conn, const HttpTarget& target,
                                                 const HttpRequest& request, const HttpClientOptions& options,
                                                 const BodySink* sink, ExchangeState& state) {
  auto msg = make_message(target, request, options);
  beast::tcp_stream& low = conn.lowest();
  beast::error_code ec;
  low.expires_after(request.timeouts.write);
  co_await http::async_write(stream, msg, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    state.ec = ec;
    co_return io_error(ec, "write", request);
  }
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // the caps below apply instead
  if (msg.method() == http::verb::head) {
    parser.skip(true);
  }
  low.expires_after(request.timeouts.read);
  co_await http::async_read_header(stream, conn.buffer, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    state.ec = ec;
    co_return io_error(ec, "read", request);
  }
  state.response_started = true;
  HttpResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  const bool to_sink = sink != nullptr && out.status >= 200 && out.status < 300;
  std::vector<char> chunk(k_chunk_size);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    low.expires_after(request.timeouts.read);
    co_await http::async_read(stream, conn.buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    if (ec) {
      state.ec = ec;
      co_return io_error(ec, "read body", request);
    }
    const std::size_t n = chunk.size() - parser.get().body().size;
    if (n == 0) {
      continue;
    }
    const std::string_view piece(chunk.data(), n);
    if (to_sink) {
      if (auto taken = (*sink)(piece); !taken) {
        co_return taken.error();
      }
    } else if (out.body.size() + n > request.max_body) {
      co_return make_error(ErrorKind::internal, "http: " + request.method + " " + request.url +
                                                    ": response body exceeds " +
                                                    std::to_string(request.max_body) + " bytes");
    } else {
      out.body.append(piece);
    }
  }
  low.expires_never();
  state.keep_alive = parser.get().keep_alive();
  co_return out;
}

net::awaitable<Result<HttpResponse>> perform(std::shared_ptr<HttpPool> pool, HttpRequest request,
                                             const BodySink* sink) {
  auto target = parse_http_url(request.url);
  if (!target) {
    co_return target.error();
  }
  ++pool->stats_requests_;
  const detail::PoolKey key{target->tls, target->host, target->port, request.connect_to};
  for (int attempt = 0;; ++attempt) {
    auto conn = pool->take(key);
    const bool reused = conn != nullptr;
    if (!conn) {
      auto opened = co_await open_connection(*pool, *target, request);
      if (!opened) {
        co_return opened.error();
      }
      conn = std::move(*opened);
    }
    ExchangeState state;
    Result<HttpResponse> result = make_error(ErrorKind::internal, "http: no exchange");
    if (conn->tls) {
      result = co_await exchange_on(*conn->tls, *conn, *target, request, pool->options_, sink, state);
    } else {
      result = co_await exchange_on(*conn->plain, *conn, *target, request, pool->options_, sink, state);
    }
    if (!result) {
      // A kept-alive connection the server closed fails before any answer; the server saw nothing.
      if (reused && attempt == 0 && !state.response_started && is_stale_connection(state.ec)) {
        continue;
      }
      co_return result;
    }
    if (state.keep_alive) {
      pool->give_back(key, std::move(conn));
    }
    co_return result;
  }
}

}  // namespace

Result<HttpClient> HttpClient::create(net::any_io_executor executor, HttpClientOptions options) {
  std::shared_ptr<net::ssl::context> tls;
  const TlsOptions& t = options.tls;
  if (!t.ca_file.empty() || !t.ca_path.empty() || !t.client_cert.empty() || !t.client_key.empty()) {
    auto made = make_tls_context(t);
    if (!made) {
      return made.error();
    }
    tls = std::move(*made);
  }
  return HttpClient(std::make_shared<HttpPool>(std::move(executor), std::move(options), std::move(tls)));
}

net::awaitable<Result<HttpResponse>> HttpClient::request(HttpRequest request) const {
  auto pool = pool_;
  co_return co_await perform(std::move(pool), std::move(request), nullptr);
}

net::awaitable<Result<HttpResponse>> HttpClient::stream(HttpRequest request, BodySink sink) const {
  auto pool = pool_;
  co_return co_await perform(std::move(pool), std::move(request), &sink);
}

HttpClientStats HttpClient::stats() const {
  return HttpClientStats{pool_->stats_requests_.load(), pool_->stats_opened_.load(),
                         pool_->stats_reused_.load()};
}

}  // namespace nbs
