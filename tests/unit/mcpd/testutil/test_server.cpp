#include "tests/unit/mcpd/testutil/test_server.hpp"

#include <stdexcept>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace nbs::mcpd::testing {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

TestServer::TestServer(HttpOptions options, std::optional<TokenStore> tokens, ReadinessCheck readiness,
                       const ToolSetup& setup)
    : tokens_(std::move(tokens)) {
  if (setup) {
    setup(tools);
  } else {
    register_fake_tools(tools, state);
  }
  sessions = std::make_unique<SessionStore>(std::chrono::hours(1), 100);
  McpOptions mcp_options;
  mcp_options.server_info.version = "test";
  mcp = std::make_unique<McpServer>(tools, *sessions, mcp_options, &metrics);
  options.host = "127.0.0.1";
  options.port = 0;
  HttpServices services{*mcp, metrics, tokens_ ? &*tokens_ : nullptr, std::move(readiness)};
  server_ = std::make_unique<HttpServer>(io_, options, services);
  if (auto status = server_->start(); !status) {
    throw std::runtime_error("test server: " + status.error().message);
  }
  thread_ = std::thread([this] { io_.run(); });
}

void TestServer::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  server_->stop();
  thread_.join();
}

TestServer::~TestServer() {
  if (!stopped_) {
    server_->stop();
    io_.stop();  // tests that leave streams open should not wait for the grace period
    thread_.join();
  }
}

tcp::socket connect_from(asio::io_context& io, const std::string& source, unsigned short port) {
  tcp::socket socket(io);
  socket.open(tcp::v4());
  socket.bind(tcp::endpoint(asio::ip::make_address(source), 0));
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  return socket;
}

std::string raw_exchange(unsigned short port, const std::string& request, std::chrono::milliseconds timeout) {
  return raw_exchange_from("127.0.0.1", port, request, timeout);
}

std::string raw_exchange_from(const std::string& source, unsigned short port, const std::string& request,
                              std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::socket socket = connect_from(io, source, port);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  boost::system::error_code ec;
  asio::write(socket, asio::buffer(request), ec);  // a server that closed at once leaves `out` empty
  std::string out;
  char buf[4096];
  // Plain recv: SO_RCVTIMEO bounds each read (Asio's synchronous reads would poll without a limit).
  for (;;) {
    ssize_t n = ::recv(socket.native_handle(), buf, sizeof buf, 0);
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

std::string post_mcp(const std::string& body, const std::string& extra_headers) {
  return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\nConnection: close\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string body_of(const std::string& response) {
  auto pos = response.find("\r\n\r\n");
  return pos == std::string::npos ? std::string() : response.substr(pos + 4);
}

int status_of(const std::string& response) {
  if (response.size() < 12 || !response.starts_with("HTTP/1.1 ")) {
    return 0;
  }
  return std::stoi(response.substr(9, 3));
}

}  // namespace nbs::mcpd::testing
