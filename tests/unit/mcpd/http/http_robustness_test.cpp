// Slow, huge and malformed clients never block a normal one; disconnects cancel waits; shutdown is graceful.
#include <atomic>
#include <sys/socket.h>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/unit/mcpd/testutil/test_server.hpp"

namespace nbs::mcpd::testing {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

const std::string k_health = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
const std::string k_echo =
    R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}})";

tcp::socket connect_to(asio::io_context& io, unsigned short port) {
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  return socket;
}

// A normal client is served at once: /health and an MCP tools/call, each within `limit`.
// (The limit is generous for a loaded CI machine; a blocked server would wait out a timeout of seconds.)
void expect_others_served(unsigned short port,
                          std::chrono::milliseconds limit = std::chrono::milliseconds(1000)) {
  auto start = Clock::now();
  EXPECT_EQ(status_of(raw_exchange(port, k_health)), 200);
  std::string echo = raw_exchange(port, post_mcp(k_echo));
  EXPECT_EQ(status_of(echo), 200);
  EXPECT_NE(body_of(echo).find(R"("structuredContent":{"text":"hi"})"), std::string::npos) << echo;
  EXPECT_LT(Clock::now() - start, limit);
}

// True if the server closed `socket` within `limit`.
bool closed_by_server(tcp::socket& socket, std::chrono::milliseconds limit) {
  timeval tv{static_cast<time_t>(limit.count() / 1000),
             static_cast<suseconds_t>((limit.count() % 1000) * 1000)};
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
  std::string huge =
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(8192, 'b') + "\r\n\r\n";
  EXPECT_EQ(status_of(raw_exchange(server.port(), huge)), 431);
  EXPECT_EQ(status_of(raw_exchange(server.port(), "GARBAGE\x01\x02 / HTTP/9\r\n\r\n")), 400);
  EXPECT_EQ(status_of(raw_exchange(server.port(), "\r\n\r\n\r\n")), 400);
  std::string bad_length = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n";
  EXPECT_EQ(status_of(raw_exchange(server.port(), bad_length)), 400);
  EXPECT_EQ(status_of(raw_exchange(server.port(), k_health)), 200);
}

TEST(HttpRobustness, SlowBodyDoesNotBlockOthersAndIsCutOff) {
  HttpOptions options;
  options.body_timeout = std::chrono::milliseconds(2500);
  TestServer server(options);
  asio::io_context io;
  tcp::socket slow = connect_to(io, server.port());
  // A complete header announcing a body that arrives one byte at a time.
  slow.send(
      asio::buffer(std::string("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                               "Content-Length: 500\r\n\r\n{")));
  auto start = Clock::now();
  for (int i = 0; i < 3; ++i) {
    boost::system::error_code ec;
    slow.send(asio::buffer(" ", 1), 0, ec);
    expect_others_served(server.port());
  }
  // The body timeout counts from the header, not from the last byte.
  EXPECT_TRUE(closed_by_server(slow, std::chrono::milliseconds(5000)));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(5000));
  EXPECT_EQ(server.state->calls.load(), 3);  // only the echo calls ran
}

TEST(HttpRobustness, ManySlowClientsAtOnceDoNotBlockOthers) {
  HttpOptions options;
  options.header_timeout = std::chrono::milliseconds(2500);
  TestServer server(options);
  asio::io_context io;
  std::vector<tcp::socket> slow;
  for (int i = 0; i < 100; ++i) {
    // From two addresses of their own, each within max_connections_per_address.
    slow.push_back(connect_from(io, i < 50 ? "127.0.0.10" : "127.0.0.11", server.port()));
    // Half stop inside the request line, half inside the headers.
    slow.back().send(
        asio::buffer(std::string(i % 2 == 0 ? "POS" : "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: ")));
  }
  for (int i = 0; i < 3; ++i) {
    expect_others_served(server.port());
  }
  for (auto& socket : slow) {
    EXPECT_TRUE(closed_by_server(socket, std::chrono::milliseconds(5000)));
  }
  expect_others_served(server.port());
}

TEST(HttpRobustness, HugeBodyBeingSentDoesNotBlockOthers) {
  HttpOptions options;
  options.max_body_bytes = std::size_t{8} * 1024 * 1024;
  TestServer server(options);
  // A 6 MB tools/call whose body arrives in pieces over about a second.
  const std::string text(std::size_t{6} * 1024 * 1024, 'x');
  const std::string request =
      post_mcp(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo",)"
               R"("arguments":{"text":")" +
               text + R"("}}})");
  std::string response;
  std::thread big([&] {
    asio::io_context io;
    tcp::socket socket = connect_to(io, server.port());
    const std::size_t piece = request.size() / 10 + 1;
    for (std::size_t off = 0; off < request.size(); off += piece) {
      asio::write(socket, asio::buffer(request.data() + off, std::min(piece, request.size() - off)));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    boost::system::error_code ec;
    char buf[65536];
    for (std::size_t n; (n = socket.read_some(asio::buffer(buf), ec)) > 0 && !ec;) {
      response.append(buf, n);
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  for (int i = 0; i < 3; ++i) {
    expect_others_served(server.port());
  }
  big.join();
  EXPECT_EQ(status_of(response), 200);
  EXPECT_GT(response.size(), 2 * text.size());  // structuredContent and its text mirror
}

TEST(HttpRobustness, MalformedJsonRpcIsAnsweredAndHarmsNobody) {
  TestServer server;
  const std::string deep_array(200'000, '[');
  std::string deep_object;
  for (int i = 0; i < 50'000; ++i) {
    deep_object += R"({"a":)";
  }
  const std::string bodies[] = {
      "{",
      "not json at all",
      deep_array,
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":)" + deep_object,
      std::string("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\xff\xfe\"}"),
      R"({"jsonrpc":"2.0","id":1e999999,"method":"ping"})",
      R"({"jsonrpc":"2.0","id":{"a":1},"method":"tools/call"})",
      R"([])",
      R"([1,2,3])",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":[1]}})",
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":{"x":1}}})",
      std::string(R"({"jsonrpc":"2.0","id":1,"method":"ping"})") + std::string(1, '\0') + "garbage",
  };
  for (const auto& body : bodies) {
    std::string response = raw_exchange(server.port(), post_mcp(body));
    int status = status_of(response);
    EXPECT_TRUE(status == 200 || status == 400) << status << " for " << body.substr(0, 80);
    EXPECT_NE(body_of(response).find(R"("jsonrpc":"2.0")"), std::string::npos) << body.substr(0, 80);
    EXPECT_NE(body_of(response).find(R"("error")"), std::string::npos) << body.substr(0, 80);
    // The REST mirror parses the same bytes.
    std::string rest =
        "POST /mcp/submitJob HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: "
        "close\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    EXPECT_EQ(status_of(raw_exchange(server.port(), rest)), 400) << body.substr(0, 80);
  }
  expect_others_served(server.port());
}

// Header values and percent-decoded paths reach answers that quote them: bytes that are not UTF-8 must
// not make those answers invalid JSON (found by mcp_request_fuzzer).
TEST(HttpRobustness, AnswersQuotingTheRequestStayValidJson) {
  TestServer server;
  const std::string bad = "x\xFF\xC0y";
  const std::string requests[] = {
      post_mcp(k_echo, "MCP-Protocol-Version: " + bad + "\r\n"),  // legacy: unsupported version
      post_mcp(
          R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{)"
          R"("io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})",
          "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: " + bad + "\r\n"),  // modern: header mismatch
      "POST /mcp HTTP/1.1\r\nHost: " + bad + "\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
      "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://" + bad +
          "\r\nConnection: close\r\n"
          "Content-Length: 2\r\n\r\n{}",
      // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one request, cut at the column limit
      "POST /mcp/%FF%C0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: "
      "close\r\n"
      "Content-Length: 2\r\n\r\n{}",
      "GET /mcp/job/j/logs?tail_lines=%FF HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
  };
  for (const auto& request : requests) {
    std::string response = raw_exchange(server.port(), request);
    EXPECT_GE(status_of(response), 400) << response;
    boost::system::error_code ec;
    boost::json::parse(body_of(response), ec);
    EXPECT_FALSE(ec) << body_of(response);
    EXPECT_NE(body_of(response).find("\xEF\xBF\xBD"), std::string::npos) << body_of(response);
  }
}

TEST(HttpRobustness, AClientThatNeverReadsIsCutOffWithoutBlockingOthers) {
  HttpOptions options;
  options.write_timeout = std::chrono::milliseconds(1000);
  TestServer server(options);
  asio::io_context io;
  tcp::socket greedy(io);
  greedy.open(tcp::v4());
  greedy.set_option(asio::socket_base::receive_buffer_size(4096));
  greedy.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  // Pipelined 1 MB echoes whose answers are never read: the server's writes fill every buffer.
  const std::string one = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  std::string body =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":")" +
      std::string(std::size_t{1024} * 1024, 'y') + R"("}}})";
  std::string request = one + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::atomic<bool> sender_done{false};
  std::thread sender([&] {
    for (int i = 0; i < 8; ++i) {
      std::size_t off = 0;
      while (off < request.size()) {
        ssize_t n = ::send(greedy.native_handle(), request.data() + off, request.size() - off, MSG_NOSIGNAL);
        if (n <= 0) {
          sender_done = true;
          return;  // the server gave up on us
        }
        off += static_cast<std::size_t>(n);
      }
    }
    sender_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i = 0; i < 3; ++i) {
    expect_others_served(server.port());
  }
  // Once a response has waited write_timeout, the server closes the connection: the blocked sender
  // fails, and what is left to read ends in EOF or a reset (a live server would keep answering).
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!sender_done && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(sender_done.load());
  EXPECT_TRUE(closed_by_server(greedy, std::chrono::milliseconds(3000)));
  ::shutdown(greedy.native_handle(), SHUT_RDWR);  // unblocks the sender if the server never gave up
  sender.join();
  expect_others_served(server.port());
}

TEST(HttpRobustness, LongPollsDoNotBlockOtherClients) {
  TestServer server;
  std::string call =
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":1500}}})";
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
        port,
        post_mcp(
            R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":20000}}})"));
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
