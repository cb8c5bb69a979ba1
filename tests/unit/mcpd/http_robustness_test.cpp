// Slow, huge and malformed clients never block a normal one; disconnects cancel waits; shutdown is graceful.
#include "tests/unit/mcpd/test_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <sys/socket.h>

namespace nbs::mcpd::testing {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

const std::string k_health = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

// True if the server closed `socket` within `limit`.
bool closed_by_server(tcp::socket& socket, std::chrono::milliseconds limit) {
  timeval tv{static_cast<time_t>(limit.count() / 1000), static_cast<suseconds_t>((limit.count() % 1000) * 1000)};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(socket.native_handle(), buf, sizeof buf, 0);
    if (n == 0) {
      return true;
    }
    if (n < 0) {
      return errno == ECONNRESET;
    }
  }
}

TEST(HttpRobustness, SlowlorisDoesNotBlockOthersAndIsCutOff) {
  HttpOptions options;
  options.header_timeout = std::chrono::milliseconds(800);
  TestServer server(options);
  asio::io_context io;
  tcp::socket slow(io);
  slow.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  std::string partial = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  slow.send(asio::buffer(partial));
  for (int i = 0; i < 3; ++i) {
    slow.send(asio::buffer("a", 1));
    auto start = Clock::now();
    EXPECT_EQ(status_of(raw_exchange(server.port(), k_health)), 200);
    EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(500));
  }
  // The header never completes: the connection is closed once the header timeout passes.
  EXPECT_TRUE(closed_by_server(slow, std::chrono::milliseconds(3000)));
}

TEST(HttpRobustness, HugeAndMalformedRequestsAreRejectedWithoutHarm) {
  HttpOptions options;
  options.header_limit_bytes = 2048;
  TestServer server(options);
  std::string huge = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(8192, 'b') + "\r\n\r\n";
  EXPECT_EQ(status_of(raw_exchange(server.port(), huge)), 431);
  EXPECT_EQ(status_of(raw_exchange(server.port(), "GARBAGE\x01\x02 / HTTP/9\r\n\r\n")), 400);
  EXPECT_EQ(status_of(raw_exchange(server.port(), "\r\n\r\n\r\n")), 400);
  std::string bad_length = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n";
  EXPECT_EQ(status_of(raw_exchange(server.port(), bad_length)), 400);
  EXPECT_EQ(status_of(raw_exchange(server.port(), k_health)), 200);
}

TEST(HttpRobustness, LongPollsDoNotBlockOtherClients) {
  TestServer server;
  std::string call = R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":1500}}})";
  std::string slow_response;
  std::thread slow_client([&] { slow_response = raw_exchange(server.port(), post_mcp(call)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto start = Clock::now();
  EXPECT_EQ(status_of(raw_exchange(server.port(), k_health)), 200);
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(500));
  slow_client.join();
  EXPECT_NE(body_of(slow_response).find(R"("completed":true)"), std::string::npos);
}

TEST(HttpRobustness, ClientDisconnectCancelsTheWait) {
  TestServer server;
  {
    asio::io_context io;
    tcp::socket client(io);
    client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
    client.send(asio::buffer(post_mcp(
        R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":30000}}})")));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(server.state->calls.load(), 1);
  }  // closes the socket
  auto deadline = Clock::now() + std::chrono::seconds(3);
  while (server.state->cancelled.load() == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(server.state->cancelled.load(), 1);
  std::lock_guard lock(server.state->mutex);
  EXPECT_EQ(server.state->last_cancel_reason, "client disconnected");
}

TEST(HttpRobustness, ShutdownFinishesInFlightRequestsAndStopsAccepting) {
  HttpOptions options;
  options.shutdown_grace = std::chrono::seconds(5);
  TestServer server(options);
  unsigned short port = server.port();
  std::string response;
  std::thread client([&] {
    response = raw_exchange(
        port, post_mcp(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":20000}}})"));
  });
  // An idle keep-alive connection is closed at once.
  asio::io_context io;
  tcp::socket idle(io);
  idle.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto start = Clock::now();
  server.stop();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  client.join();
  // The long-poll ended early (its wait was cancelled) but its response was written.
  EXPECT_EQ(status_of(response), 200);
  EXPECT_NE(body_of(response).find(R"("completed":false)"), std::string::npos);
  EXPECT_TRUE(closed_by_server(idle, std::chrono::milliseconds(1000)));
  tcp::socket late(io);
  boost::system::error_code ec;
  late.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace nbs::mcpd::testing
