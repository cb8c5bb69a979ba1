// Test support for mcpd: an in-process HTTP server on 127.0.0.1 (ephemeral port) with the fake tools,
// and a raw-bytes HTTP client for byte-level transcripts.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "mcpd/http/http_server.hpp"
#include "mcpd/mcp/mcp_server.hpp"
#include "tests/unit/mcpd/testutil/fake_tools.hpp"

namespace nbs::mcpd::testing {

// Registers the tools a TestServer serves (default: the fake tools).
using ToolSetup = std::function<void(ToolRegistry& tools)>;

class TestServer {
  // First, so it is destroyed last: the tools' own threads (the log search pool's workers) hold its
  // executors until they are joined, as in the daemon.
  boost::asio::io_context io_;

 public:
  explicit TestServer(HttpOptions options = {}, std::optional<TokenStore> tokens = std::nullopt,
                      ReadinessCheck readiness = {}, const ToolSetup& setup = {});
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  unsigned short port() const { return server_->port(); }
  // Graceful stop; returns once the io_context has no work left.
  void stop();

  std::shared_ptr<FakeToolState> state = std::make_shared<FakeToolState>();
  MetricsRegistry metrics;
  ToolRegistry tools;
  std::unique_ptr<SessionStore> sessions;
  std::unique_ptr<McpServer> mcp;

 private:
  std::optional<TokenStore> tokens_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  bool stopped_ = false;
};

// Sends `request` as is and returns every byte received until the server closes the connection or
// `timeout` passes. Send "Connection: close" to get exactly one response.
std::string raw_exchange(unsigned short port, const std::string& request,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));
// The same from another loopback source address (e.g. "127.0.0.2"): another client as the server sees it.
std::string raw_exchange_from(const std::string& source, unsigned short port, const std::string& request,
                              std::chrono::milliseconds timeout = std::chrono::seconds(5));
// A connected socket from `source` (a loopback address) to the test server.
boost::asio::ip::tcp::socket connect_from(boost::asio::io_context& io, const std::string& source,
                                          unsigned short port);

// A POST /mcp request with a JSON body, "Connection: close", and extra header lines ("Name: value\r\n").
std::string post_mcp(const std::string& body, const std::string& extra_headers = "");

// The body of a raw HTTP/1.1 response (after the blank line; chunked bodies are not decoded).
std::string body_of(const std::string& response);
// The status code of a raw response, 0 if none.
int status_of(const std::string& response);

}  // namespace nbs::mcpd::testing
