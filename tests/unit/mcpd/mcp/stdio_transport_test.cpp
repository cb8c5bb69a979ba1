// MCP over stdio with pipes: newline framing, concurrent calls, oversized lines, EOF.
#include "mcpd/mcp/stdio_transport.hpp"

#include <thread>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "tests/unit/mcpd/testutil/fake_tools.hpp"

namespace nbs::mcpd {
namespace {
namespace json = boost::json;

// Feeds `input`, keeps stdin open for `linger`, then closes it (EOF) and collects stdout.
std::vector<json::value> run_stdio(const std::string& input,
                                   const std::shared_ptr<testing::FakeToolState>& state,
                                   std::size_t max_line = 4096,
                                   std::chrono::milliseconds linger = std::chrono::milliseconds(0)) {
  int in[2];
  int out[2];
  EXPECT_EQ(::pipe(in), 0);
  EXPECT_EQ(::pipe(out), 0);
  ToolRegistry tools;
  testing::register_fake_tools(tools, state);
  SessionStore sessions(std::chrono::hours(1), 10);
  McpServer mcp(tools, sessions, McpOptions{});
  boost::asio::io_context io;
  bool finished = false;
  {
    StdioTransport transport(io, mcp, in[0], out[1], max_line);
    transport.start([&] { finished = true; });
    ::close(in[0]);
    ::close(out[1]);
    std::thread writer([&] {
      EXPECT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
      std::this_thread::sleep_for(linger);
      ::close(in[1]);
    });
    io.run();
    writer.join();
  }
  EXPECT_TRUE(finished);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) {
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  std::vector<json::value> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    lines.push_back(json::parse(text.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return lines;
}

TEST(StdioTransport, AnswersEachLineAndStreamsProgress) {
  auto state = std::make_shared<testing::FakeToolState>();
  auto lines = run_stdio(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})"
      "\n"
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
      "\n\n"
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"getStatus","arguments":{"job_id":"j"},"_meta":{"progressToken":7}}})"
      "\r\n"
      R"({"jsonrpc":"2.0","id":3,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})"
      "\n{broken\n",
      state, 4096, std::chrono::milliseconds(500));
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0].at("result").at("protocolVersion"), "2025-06-18");
  // The discover answer and the parse error do not wait for the tool call.
  int progress = 0;
  std::size_t result_index = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto& obj = lines[i].as_object();
    if (obj.contains("method")) {
      EXPECT_EQ(obj.at("params").at("progressToken"), 7);
      ++progress;
    } else if (obj.at("id") == 2) {
      result_index = i;
    }
  }
  EXPECT_EQ(progress, 3);
  EXPECT_EQ(result_index, 6u);
  EXPECT_EQ(lines[6].at("result").at("structuredContent").at("finished"), true);
}

TEST(StdioTransport, OversizedLinesAreRejectedAndReadingGoesOn) {
  auto state = std::make_shared<testing::FakeToolState>();
  std::string big =
      R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":")" + std::string(10000, 'x') + "\"}}\n";
  auto lines = run_stdio(big + R"({"jsonrpc":"2.0","id":2,"method":"ping"})"
                               "\n",
                         state, 1024);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("error").at("code"), -32600);
  EXPECT_EQ(json::serialize(lines[1]), R"({"jsonrpc":"2.0","id":2,"result":{}})");
}

TEST(StdioTransport, EofCancelsWaitsAndExits) {
  auto state = std::make_shared<testing::FakeToolState>();
  auto start = std::chrono::steady_clock::now();
  auto lines = run_stdio(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":60000}}})"
      "\n",
      state);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(state->cancelled.load(), 1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("result").at("structuredContent").at("completed"), false);
}

}  // namespace
}  // namespace nbs::mcpd
