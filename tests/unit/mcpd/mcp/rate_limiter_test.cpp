// The per-client rate limit on submitJob: the token bucket itself (with a fake clock), then one limiter
// shared by MCP tools/call and the REST mirror: isError result over MCP, 429 + Retry-After over REST,
// invalid submissions free, clients (addresses, principals) counted apart, stdio limited too.
#include "mcpd/mcp/rate_limiter.hpp"

#include <unistd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "mcpd/mcp/stdio_transport.hpp"
#include "tests/unit/mcpd/testutil/test_server.hpp"

namespace nbs::mcpd::testing {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

struct FakeClock {
  RateLimiter::Clock::time_point now{std::chrono::hours(1)};
  RateLimiter::Now fn() {
    return [this] { return now; };
  }
};

TEST(RateLimiter, BurstThenRefillAtTheRate) {
  FakeClock clock;
  RateLimiter limiter(60, 3, clock.fn());  // one token a second
  EXPECT_FALSE(limiter.try_acquire("a"));
  EXPECT_FALSE(limiter.try_acquire("a"));
  EXPECT_FALSE(limiter.try_acquire("a"));
  auto wait = limiter.try_acquire("a");
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1000ms);
  clock.now += 400ms;
  EXPECT_EQ(*limiter.try_acquire("a"), 600ms);  // a refused call takes nothing
  clock.now += 600ms;
  EXPECT_FALSE(limiter.try_acquire("a"));
  EXPECT_TRUE(limiter.try_acquire("a"));
  // Refill stops at the burst.
  clock.now += std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(limiter.try_acquire("a")) << i;
  }
  EXPECT_TRUE(limiter.try_acquire("a"));
}

TEST(RateLimiter, ClientsHaveTheirOwnBuckets) {
  FakeClock clock;
  RateLimiter limiter(1, 1, clock.fn());
  EXPECT_FALSE(limiter.try_acquire("a"));
  EXPECT_EQ(*limiter.try_acquire("a"), 60'000ms);
  EXPECT_FALSE(limiter.try_acquire("b"));
  EXPECT_TRUE(limiter.try_acquire("b"));
}

TEST(RateLimiter, RefundGivesATokenBackUpToTheBurst) {
  FakeClock clock;
  RateLimiter limiter(1, 2, clock.fn());
  EXPECT_FALSE(limiter.try_acquire("a"));
  EXPECT_FALSE(limiter.try_acquire("a"));
  EXPECT_TRUE(limiter.try_acquire("a"));
  limiter.refund("a");
  EXPECT_FALSE(limiter.try_acquire("a"));
  limiter.refund("a");
  limiter.refund("a");
  limiter.refund("a");  // capped at 2
  EXPECT_FALSE(limiter.try_acquire("a"));
  EXPECT_FALSE(limiter.try_acquire("a"));
  EXPECT_TRUE(limiter.try_acquire("a"));
  limiter.refund("never-seen");  // harmless
  EXPECT_FALSE(limiter.try_acquire("never-seen"));
}

TEST(RateLimiter, ManyClientsStayBounded) {
  FakeClock clock;
  RateLimiter limiter(60, 1, clock.fn());
  for (int i = 0; i < 25'000; ++i) {
    EXPECT_FALSE(limiter.try_acquire("client-" + std::to_string(i)));
    clock.now += 10ms;
  }
  // An old client's bucket was dropped once full again: it starts with a full bucket.
  EXPECT_FALSE(limiter.try_acquire("client-0"));
}

const std::string k_valid_job =
    R"({"owner":"o","repo_url":"https://git.example.com/a.git","image_name":"a","registry_url":"r:5000"})";

std::string mcp_submit(const std::string& job, int id = 1) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
         R"(,"method":"tools/call","params":{"name":"submitJob","arguments":)" + job + "}}";
}

std::string rest_submit(const std::string& job, const std::string& path = "/mcp/submitJob",
                        const std::string& extra_headers = "") {
  std::string body = R"({"job_config":)" + job + "}";
  return "POST " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

json::object mcp_result(const std::string& response) {
  return json::parse(body_of(response)).at("result").as_object();
}

// The text of a tool result: all an isError result says.
std::string text_of(const json::object& result) {
  return std::string(result.at("content").at(0).at("text").as_string());
}

std::string header_of(const std::string& response, const std::string& name) {
  auto pos = response.find("\r\n" + name + ": ");
  if (pos == std::string::npos) {
    return "";
  }
  pos += name.size() + 4;
  return response.substr(pos, response.find("\r\n", pos) - pos);
}

TEST(SubmitRateLimit, OneBucketForMcpAndRestWithIsErrorAnd429) {
  TestServer server;
  ASSERT_TRUE(server.tools.limit("submitJob", std::make_shared<RateLimiter>(2, 3)));
  // Invalid submissions are answered with their field errors and cost nothing.
  for (int i = 0; i < 5; ++i) {
    auto invalid = mcp_result(raw_exchange(server.port(), post_mcp(mcp_submit(R"({"owner":"o"})"))));
    EXPECT_EQ(invalid.at("isError"), true);
    EXPECT_TRUE(text_of(invalid).starts_with("invalid_argument\n")) << text_of(invalid);
    EXPECT_EQ(status_of(raw_exchange(server.port(), rest_submit(R"({"owner":"o"})"))), 400);
  }
  // The burst of 3, spent over both transports.
  EXPECT_FALSE(
      mcp_result(raw_exchange(server.port(), post_mcp(mcp_submit(k_valid_job)))).contains("isError"));
  EXPECT_EQ(status_of(raw_exchange(server.port(), rest_submit(k_valid_job))), 200);
  EXPECT_EQ(status_of(raw_exchange(server.port(), rest_submit(k_valid_job, "/json/submitJob"))), 200);

  auto refused = mcp_result(raw_exchange(server.port(), post_mcp(mcp_submit(k_valid_job))));
  EXPECT_EQ(refused.at("isError"), true);
  const std::string message = text_of(refused);
  EXPECT_TRUE(message.starts_with(
      "rate_limited: submitJob: rate limit of 2 calls a minute (burst 3) reached for 127.0.0.1; retry in "))
      << message;

  auto rest = raw_exchange(server.port(), rest_submit(k_valid_job));
  EXPECT_EQ(status_of(rest), 429);
  const std::string retry_after = header_of(rest, "Retry-After");
  ASSERT_FALSE(retry_after.empty()) << rest;
  EXPECT_GE(std::stoi(retry_after), 1);
  EXPECT_LE(std::stoi(retry_after), 30);
  auto body = json::parse(body_of(rest));
  EXPECT_EQ(body.at("code"), "rate_limited");
  EXPECT_TRUE(body.at("details").as_array().empty());
  // Other tools are not limited; the handler never ran for the refused calls.
  EXPECT_EQ(status_of(raw_exchange(server.port(), rest_submit(k_valid_job, "/mcp/getLogs"))), 200);
  EXPECT_EQ(server.state->calls.load(), 10 + 3 + 1);
  EXPECT_NE(server.metrics.render().find(R"(nbs_http_requests_total{route="/rest/submitJob",code="429"} 1)"),
            std::string::npos);
}

TEST(SubmitRateLimit, PrincipalsAreCountedApart) {
  auto tokens = TokenStore::parse("alice aaaaaaaaaaaaaaaaaaaaaaaa\nbob bbbbbbbbbbbbbbbbbbbbbbbb\n", "tokens");
  ASSERT_TRUE(tokens);
  TestServer server({}, std::move(*tokens));
  ASSERT_TRUE(server.tools.limit("submitJob", std::make_shared<RateLimiter>(1, 1)));
  const std::string alice = "Authorization: Bearer aaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  const std::string bob = "Authorization: Bearer bbbbbbbbbbbbbbbbbbbbbbbb\r\n";
  EXPECT_EQ(status_of(raw_exchange(server.port(), rest_submit(k_valid_job, "/mcp/submitJob", alice))), 200);
  auto refused = raw_exchange(server.port(), rest_submit(k_valid_job, "/mcp/submitJob", alice));
  EXPECT_EQ(status_of(refused), 429);
  EXPECT_NE(body_of(refused).find("reached for alice;"), std::string::npos) << body_of(refused);
  EXPECT_EQ(header_of(refused, "Retry-After"), "60");
  auto bob_call = mcp_result(raw_exchange(server.port(), post_mcp(mcp_submit(k_valid_job), bob)));
  EXPECT_FALSE(bob_call.contains("isError"));
  EXPECT_EQ(mcp_result(raw_exchange(server.port(), post_mcp(mcp_submit(k_valid_job), bob))).at("isError"),
            true);
}

TEST(SubmitRateLimit, StdioIsOneClient) {
  ToolRegistry tools;
  auto state = std::make_shared<FakeToolState>();
  register_fake_tools(tools, state);
  ASSERT_TRUE(tools.limit("submitJob", std::make_shared<RateLimiter>(1, 1)));
  SessionStore sessions(std::chrono::hours(1), 10);
  McpServer mcp(tools, sessions, McpOptions{});
  int in[2];
  int out[2];
  ASSERT_EQ(::pipe(in), 0);
  ASSERT_EQ(::pipe(out), 0);
  boost::asio::io_context io;
  StdioTransport stdio(io, mcp, in[0], out[1], 1 << 20);
  ::close(in[0]);
  ::close(out[1]);
  stdio.start();
  std::string input = mcp_submit(k_valid_job, 1) + "\n";
  ASSERT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  io.run_for(300ms);
  input = mcp_submit(k_valid_job, 2) + "\n";
  ASSERT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(in[1]);
  io.run();
  std::string output;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) {
    output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  auto newline = output.find('\n');
  ASSERT_NE(newline, std::string::npos) << output;
  auto first = json::parse(output.substr(0, newline));
  auto second = json::parse(output.substr(newline + 1));
  EXPECT_FALSE(first.at("result").as_object().contains("isError")) << output;
  EXPECT_EQ(second.at("result").at("isError"), true) << output;
  EXPECT_NE(text_of(second.at("result").as_object()).find("reached for stdio;"), std::string::npos) << output;
}

}  // namespace
}  // namespace nbs::mcpd::testing
