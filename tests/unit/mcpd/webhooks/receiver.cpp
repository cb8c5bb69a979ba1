#include "tests/unit/mcpd/webhooks/receiver.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace nbs::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::vector<std::string> ReceivedRequest::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers) {
    if (same_name(n, name)) {
      out.push_back(v);
    }
  }
  return out;
}

std::string ReceivedRequest::header(std::string_view name) const {
  auto values = all(name);
  if (values.size() > 1) {
    return "<" + std::to_string(values.size()) + " values>";
  }
  return values.empty() ? std::string() : values.front();
}

Receiver::Receiver(Script script) : script_(std::move(script)) {
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  net::co_spawn(io_, accept_loop(), net::detached);
  thread_ = std::thread([this] { io_.run(); });
}

Receiver::~Receiver() {
  io_.stop();
  thread_.join();
}

std::string Receiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ReceivedRequest> Receiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t Receiver::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

bool Receiver::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

net::awaitable<void> Receiver::accept_loop() {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return;
    }
    {
      std::lock_guard lock(mutex_);
      ++connections_;
    }
    net::co_spawn(io_, serve(std::move(socket)), net::detached);
  }
}

net::awaitable<void> Receiver::serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  for (;;) {
    beast::error_code ec;
    http::request<http::string_body> request;
    co_await http::async_read(socket, buffer, request, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      co_return;
    }
    ReceivedRequest seen;
    seen.method = std::string(request.method_string());
    seen.target = std::string(request.target());
    for (const auto& field : request) {
      seen.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    seen.body = request.body();
    seen.at = std::chrono::steady_clock::now();
    std::size_t n = 0;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(seen);
      n = requests_.size();
    }
    changed_.notify_all();
    const Reply reply = script_ ? script_(seen, n) : Reply{};
    if (reply.hang) {
      net::steady_timer forever(io_, std::chrono::hours(24));
      co_await forever.async_wait(net::redirect_error(net::use_awaitable, ec));
      co_return;
    }
    if (reply.trickle) {
      co_await trickle(socket);
      co_return;
    }
    http::response<http::string_body> response{static_cast<http::status>(reply.status), request.version()};
    for (const auto& [name, value] : reply.headers) {
      response.set(name, value);
    }
    response.body() = reply.body;
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    co_await http::async_write(socket, response, net::redirect_error(net::use_awaitable, ec));
    if (ec || !response.keep_alive()) {
      co_return;
    }
  }
}

net::awaitable<void> Receiver::trickle(tcp::socket& socket) {
  beast::error_code ec;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
  co_await net::async_write(socket, net::buffer(head), net::redirect_error(net::use_awaitable, ec));
  net::steady_timer pause(io_);
  for (int i = 0; i < 1000 && !ec; ++i) {
    pause.expires_after(std::chrono::milliseconds(50));
    co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
    if (!ec) {
      co_await net::async_write(socket, net::buffer("x", 1), net::redirect_error(net::use_awaitable, ec));
    }
  }
}

unsigned short closed_port() {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace nbs::test
