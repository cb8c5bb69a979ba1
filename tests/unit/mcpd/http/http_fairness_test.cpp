// Fairness between clients: one address or one principal holding its share of connections cannot starve
// another, and /health, /ready and /metrics answer even when every connection is taken.
#include <chrono>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "tests/unit/mcpd/testutil/test_server.hpp"

namespace nbs::mcpd::testing {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

const std::string k_ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
const std::string k_echo =
    R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}})";

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "Connection: close\r\n\r\n";
}

// A keep-alive POST /mcp (the connection stays open after the answer).
std::string keep_alive_ping(const std::string& token) {
  return "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer " +
         token + "\r\nContent-Length: " + std::to_string(k_ping.size()) + "\r\n\r\n" + k_ping;
}

// Reads one response of a keep-alive exchange: the header and Content-Length bytes of body.
std::string read_response(tcp::socket& socket) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto header_end = out.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      auto length_at = out.find("Content-Length: ");
      std::size_t length = length_at == std::string::npos ? 0 : std::stoul(out.substr(length_at + 16));
      if (out.size() >= header_end + 4 + length) {
        return out;
      }
    }
    boost::system::error_code ec;
    std::size_t n = socket.read_some(asio::buffer(buf), ec);
    if (ec) {
      return out;
    }
    out.append(buf, n);
  }
}

// Opens `count` idle connections from `source`. The server accepts connections in order, so a request
// made on a later connection is decided after every one of these was counted.
std::vector<tcp::socket> hold_idle(asio::io_context& io, const std::string& source, unsigned short port,
                                   int count) {
  std::vector<tcp::socket> held;
  held.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    held.push_back(connect_from(io, source, port));
  }
  return held;
}

// Options under which idle connections stay open for the whole test.
HttpOptions holding(std::size_t max_connections = 1024) {
  HttpOptions options;
  options.max_connections = max_connections;
  options.header_timeout = std::chrono::seconds(30);
  return options;
}

void expect_served(const std::string& source, unsigned short port) {
  EXPECT_EQ(status_of(raw_exchange_from(source, port, get("/health"))), 200) << source;
  std::string echo = raw_exchange_from(source, port, post_mcp(k_echo));
  EXPECT_EQ(status_of(echo), 200) << source;
  EXPECT_NE(body_of(echo).find(R"("structuredContent":{"text":"hi"})"), std::string::npos) << echo;
}

// Issue 13: 1,024 idle sockets from one client refused everyone. One address now holds at most
// max_connections_per_address (64 by default) of the pool.
TEST(HttpFairness, OneAddressCannotTakeEveryConnection) {
  TestServer server(holding(100));
  asio::io_context io;
  auto held = hold_idle(io, "127.0.0.1", server.port(), 100);
  expect_served("127.0.0.2", server.port());
  expect_served("127.0.0.3", server.port());
  // 64 in the pool, 2 in the reserve; the other 34 were closed at once, and counted.
  EXPECT_EQ(server.metrics.counter("nbs_http_connections_refused_total", "", {}).value({}), 34.0);
}

// Past its cap an address still gets /health (from a small reserve), and a clear 429 for anything else.
TEST(HttpFairness, AnAddressOverItsCapGetsHealthAnd429) {
  TestServer server(holding());
  asio::io_context io;
  auto held = hold_idle(io, "127.0.0.1", server.port(), 64);
  EXPECT_EQ(status_of(raw_exchange_from("127.0.0.1", server.port(), get("/health"))), 200);
  std::string refused = raw_exchange_from("127.0.0.1", server.port(), post_mcp(k_ping));
  EXPECT_EQ(status_of(refused), 429) << refused;
  EXPECT_NE(refused.find("Retry-After: 1\r\n"), std::string::npos) << refused;
  EXPECT_EQ(
      body_of(refused),
      R"j({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"connections: 127.0.0.1 already has 64 open connections, the limit per address (max_connections_per_address)"}})j");
  std::string rest = raw_exchange_from("127.0.0.1", server.port(), get("/mcp/job/j1/status"));
  EXPECT_EQ(status_of(rest), 429);
  EXPECT_EQ(
      body_of(rest),
      R"j({"error":"connections: 127.0.0.1 already has 64 open connections, the limit per address (max_connections_per_address)","code":"rate_limited","details":[]})j");
  expect_served("127.0.0.2", server.port());
  EXPECT_EQ(server.state->calls.load(), 1);  // only 127.0.0.2's echo ran
  // Once the address closes its connections, it is served again.
  held.clear();
  auto deadline = Clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (status != 200 && Clock::now() < deadline) {
    status = status_of(raw_exchange_from("127.0.0.1", server.port(), post_mcp(k_ping)));
  }
  EXPECT_EQ(status, 200);
}

// When the whole pool is taken, /health, /ready and /metrics still answer; everything else gets a clear
// 503.
TEST(HttpFairness, HealthAndReadyAnswerWhenThePoolIsFull) {
  TestServer server(holding(8));
  asio::io_context io;
  auto held = hold_idle(io, "127.0.0.1", server.port(), 8);
  EXPECT_EQ(status_of(raw_exchange_from("127.0.0.2", server.port(), get("/health"))), 200);
  EXPECT_EQ(status_of(raw_exchange_from("127.0.0.3", server.port(), get("/ready"))), 200);
  EXPECT_EQ(status_of(raw_exchange_from("127.0.0.3", server.port(), get("/metrics"))), 200);
  std::string busy = raw_exchange_from("127.0.0.2", server.port(), get("/mcp/job/j1/status"));
  EXPECT_EQ(status_of(busy), 503) << busy;
  EXPECT_NE(busy.find("Retry-After: 1\r\n"), std::string::npos) << busy;
  EXPECT_EQ(
      body_of(busy),
      R"({"error":"connections: all 8 connections are in use (max_connections); only /health, /ready and /metrics are served","code":"unavailable","details":[]})");
  EXPECT_EQ(status_of(raw_exchange_from("127.0.0.2", server.port(), post_mcp(k_ping))), 503);
  EXPECT_EQ(server.state->calls.load(), 0);
}

// With tokens, one principal holds at most max_connections_per_principal (128 by default), whatever
// addresses it comes from.
TEST(HttpFairness, OnePrincipalCannotTakeEveryConnection) {
  auto tokens = TokenStore::parse("alice 0123456789abcdef0123\nbob 0123456789abcdef0456\n", "tokens");
  ASSERT_TRUE(tokens);
  TestServer server(holding(130), std::move(*tokens));
  asio::io_context io;
  std::vector<tcp::socket> alice;
  for (int i = 0; i < 128; ++i) {
    // 64 from each of two addresses, within the per-address cap.
    alice.push_back(connect_from(io, i < 64 ? "127.0.0.1" : "127.0.0.2", server.port()));
    asio::write(alice.back(), asio::buffer(keep_alive_ping("0123456789abcdef0123")));
    ASSERT_EQ(status_of(read_response(alice.back())), 200) << i;
  }
  std::string over = raw_exchange_from("127.0.0.3", server.port(),
                                       post_mcp(k_ping, "Authorization: Bearer 0123456789abcdef0123\r\n"));
  EXPECT_EQ(status_of(over), 429) << over;
  EXPECT_EQ(
      body_of(over),
      R"j({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"connections: principal 'alice' already has 128 open connections, the limit per principal (max_connections_per_principal)"}})j");
  std::string bob = raw_exchange_from("127.0.0.4", server.port(),
                                      post_mcp(k_ping, "Authorization: Bearer 0123456789abcdef0456\r\n"));
  EXPECT_EQ(status_of(bob), 200) << bob;
  // Alice's own connections keep working.
  asio::write(alice.front(), asio::buffer(keep_alive_ping("0123456789abcdef0123")));
  EXPECT_EQ(status_of(read_response(alice.front())), 200);
}

}  // namespace
}  // namespace nbs::mcpd::testing
