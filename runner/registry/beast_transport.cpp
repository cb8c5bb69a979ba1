// The only Beast translation unit of the runner (they compile slowly).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <map>
#include <optional>
#include <variant>

#include "runner/registry/http_transport.hpp"

namespace nbs::runner::registry {

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() &&
        std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return v;
    }
  }
  return {};
}

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

struct Target {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;  // path and query
  std::string key() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

Result<Target> parse_target(const std::string& url) {
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return make_error(ErrorKind::invalid_argument, "url: cannot parse " + url);
  Target t;
  t.tls = u->scheme() == "https";
  if (!t.tls && u->scheme() != "http") return make_error(ErrorKind::invalid_argument, "url: unsupported scheme in " + url);
  t.host = std::string(u->host());
  t.port = u->has_port() ? std::string(u->port()) : (t.tls ? "443" : "80");
  t.path = std::string(u->encoded_path());
  if (t.path.empty()) t.path = "/";
  if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
  return t;
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct Connection {
  std::variant<std::unique_ptr<beast::tcp_stream>, std::unique_ptr<TlsStream>> stream;
  beast::flat_buffer buffer;
};

class BeastTransport final : public HttpTransport {
 public:
  BeastTransport(std::chrono::seconds timeout, std::size_t max_body)
      : ssl_(ssl::context::tls_client), timeout_(timeout), max_body_(max_body) {
    ssl_.set_default_verify_paths();
    ssl_.set_verify_mode(ssl::verify_peer);
  }

  Result<HttpResponse> send(const HttpRequest& request, const BodySink* sink) override {
    auto target = parse_target(request.url);
    if (!target) return target.error();
    // A kept-alive connection may have been closed by the server meanwhile: one fresh retry.
    bool reused = pool_.contains(target->key());
    auto r = attempt(*target, request, sink);
    if (!r && reused && r.error().kind == ErrorKind::unavailable) {
      pool_.erase(target->key());
      r = attempt(*target, request, sink);
    }
    if (!r) pool_.erase(target->key());
    return r;
  }

 private:
  Result<HttpResponse> attempt(const Target& t, const HttpRequest& request, const BodySink* sink) {
    auto conn = connection(t);
    if (!conn) return conn.error();
    return std::visit([&](auto& stream) { return exchange(*stream, (*conn)->buffer, t, request, sink); },
                      (*conn)->stream);
  }

  Result<Connection*> connection(const Target& t) {
    if (auto it = pool_.find(t.key()); it != pool_.end()) return &it->second;
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(t.host, t.port, ec);
    if (ec) return make_error(ErrorKind::unavailable, t.host + ": resolve: " + ec.message());
    auto tcp_stream = std::make_unique<beast::tcp_stream>(ioc_);
    tcp_stream->expires_after(timeout_);
    tcp_stream->connect(endpoints, ec);
    if (ec) return make_error(ErrorKind::unavailable, t.key() + ": connect: " + ec.message());
    Connection c;
    if (!t.tls) {
      c.stream = std::move(tcp_stream);
    } else {
      auto tls = std::make_unique<TlsStream>(std::move(*tcp_stream), ssl_);
      SSL_set_tlsext_host_name(tls->native_handle(), t.host.c_str());
      tls->set_verify_callback(ssl::host_name_verification(t.host));
      beast::get_lowest_layer(*tls).expires_after(timeout_);
      tls->handshake(ssl::stream_base::client, ec);
      if (ec) return make_error(ErrorKind::unavailable, t.key() + ": TLS handshake: " + ec.message());
      c.stream = std::move(tls);
    }
    return &pool_.emplace(t.key(), std::move(c)).first->second;
  }

  static Error io_error(const Target& t, std::string_view what, const beast::error_code& ec) {
    auto kind = ec == beast::error::timeout ? ErrorKind::timeout : ErrorKind::unavailable;
    return make_error(kind, t.key() + ": " + std::string(what) + ": " + ec.message());
  }

  template <class Stream>
  Result<HttpResponse> exchange(Stream& stream, beast::flat_buffer& buffer, const Target& t,
                                const HttpRequest& request, const BodySink* sink) {
    http::request<http::string_body> req{http::string_to_verb(request.method), t.path, 11};
    req.set(http::field::host, t.port == "80" || t.port == "443" ? t.host : t.host + ":" + t.port);
    req.set(http::field::user_agent, "nbs-runner");
    for (const auto& [k, v] : request.headers) req.set(k, v);
    req.body() = request.body;
    req.prepare_payload();
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(timeout_);
    http::write(stream, req, ec);
    if (ec) return io_error(t, "write", ec);

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    if (request.method == "HEAD") parser.skip(true);
    beast::get_lowest_layer(stream).expires_after(timeout_);
    http::read_header(stream, buffer, parser, ec);
    if (ec) return io_error(t, "read", ec);
    HttpResponse response;
    response.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    bool stream_body = sink != nullptr && response.status / 100 == 2;
    std::array<char, 65536> chunk;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      beast::get_lowest_layer(stream).expires_after(timeout_);
      http::read(stream, buffer, parser, ec);
      if (ec && ec != http::error::need_buffer) return io_error(t, "read", ec);
      std::string_view piece(chunk.data(), chunk.size() - parser.get().body().size);
      if (stream_body) {
        if (auto s = (*sink)(piece); !s) return s.error();
      } else {
        if (response.body.size() + piece.size() > max_body_) {
          return make_error(ErrorKind::unavailable, t.key() + ": response body over the limit");
        }
        response.body.append(piece);
      }
    }
    if (!parser.keep_alive()) pool_.erase(t.key());
    return response;
  }

  net::io_context ioc_;
  ssl::context ssl_;
  std::chrono::seconds timeout_;
  std::size_t max_body_;
  std::map<std::string, Connection> pool_;
};

}  // namespace

std::unique_ptr<HttpTransport> make_beast_transport(std::chrono::seconds timeout, std::size_t max_body) {
  return std::make_unique<BeastTransport>(timeout, max_body);
}

}  // namespace nbs::runner::registry
