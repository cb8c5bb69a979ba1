#include "tests/nomad_sim/test/sim_client.hpp"

#include <functional>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>

namespace nbs::nomad_sim::test {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::pair<std::string, std::string> split_address(const std::string& address) {
  const auto colon = address.rfind(':');
  return {address.substr(0, colon), address.substr(colon + 1)};
}

http::request<http::string_body> make_request(const std::string& method, const std::string& target,
                                              const std::string& body, const std::string& host,
                                              const std::string& token,
                                              const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host);
  if (!token.empty()) {
    req.set("X-Nomad-Token", token);
  }
  for (const auto& [k, v] : headers) {
    req.set(k, v);
  }
  if (!body.empty() || method == "PUT" || method == "POST") {
    req.body() = body;
    req.prepare_payload();
  }
  return req;
}

HttpResult to_result(const http::response<http::string_body>& res) {
  HttpResult out;
  out.status = res.result_int();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    out.headers[name] = std::string(f.value());
  }
  out.body = res.body();
  return out;
}

}  // namespace

std::string HttpResult::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

boost::json::value HttpResult::json() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value(nullptr) : v;
}

SimClient::SimClient(std::string address, std::string token)
    : address_(std::move(address)), token_(std::move(token)) {}

HttpResult SimClient::request(const std::string& method, const std::string& target, const std::string& body,
                              const std::map<std::string, std::string>& headers) const {
  try {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    const auto [host, port] = split_address(address_);
    stream.expires_after(std::chrono::seconds(60));
    stream.connect(tcp::resolver(ioc).resolve(host, port));
    http::write(stream, make_request(method, target, body, address_, token_, headers));
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{256} * 1024 * 1024);
    if (method == "HEAD") {
      parser.skip(true);
    }
    http::read(stream, buffer, parser);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    return to_result(parser.get());
  } catch (const std::exception& e) {
    HttpResult failed;
    failed.body = e.what();
    return failed;
  }
}

std::string SimClient::read_for(const std::string& target, std::chrono::milliseconds duration) const {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  const auto [host, port] = split_address(address_);
  stream.connect(tcp::resolver(ioc).resolve(host, port));
  http::write(stream, make_request("GET", target, "", address_, token_, {}));
  std::string raw;
  std::array<char, 8192> buf{};
  // Synchronous reads have no timeout in Beast: read asynchronously and stop the loop at the deadline.
  std::function<void()> read_more = [&] {
    stream.async_read_some(net::buffer(buf), [&](beast::error_code ec, std::size_t n) {
      raw.append(buf.data(), n);
      if (!ec) {
        read_more();
      }
    });
  };
  read_more();
  ioc.run_for(duration);
  beast::error_code ignored;
  stream.socket().close(ignored);
  return raw;
}

HttpResult SimClient::tls_get(const std::string& target) const {
  try {
    net::io_context ioc;
    net::ssl::context ctx(net::ssl::context::tls_client);
    ctx.set_verify_mode(net::ssl::verify_none);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    const auto [host, port] = split_address(address_);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(stream).connect(tcp::resolver(ioc).resolve(host, port));
    stream.handshake(net::ssl::stream_base::client);
    http::write(stream, make_request("GET", target, "", address_, token_, {}));
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return to_result(res);
  } catch (const std::exception& e) {
    HttpResult failed;
    failed.body = e.what();
    return failed;
  }
}

}  // namespace nbs::nomad_sim::test
