// The REST calls: URLs, headers, timeouts, and how answers and failures become values and Errors.
#include "cli/daemon_client.hpp"

#include <gtest/gtest.h>

#include "tests/unit/cli/testutil.hpp"

namespace nbs::cli {
namespace {

namespace json = boost::json;
using testing::FakeDaemon;

std::optional<std::string> header(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

TEST(DaemonClient, PostsToolCallsAsJsonWithTheToken) {
  FakeDaemon daemon;
  daemon.reply(200, R"({"job_id": "j1", "status": "PENDING"})");
  auto answer =
      daemon.client("http://d:8080/", "secret-token").call("submitJob", {{"job_config", {{"owner", "x"}}}});
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(*answer, json::parse(R"({"job_id": "j1", "status": "PENDING"})"));
  ASSERT_EQ(daemon.requests.size(), 1u);
  const auto& request = daemon.requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://d:8080/mcp/submitJob");
  EXPECT_EQ(json::parse(request.body), json::parse(R"({"job_config": {"owner": "x"}})"));
  EXPECT_EQ(header(request, "Authorization"), "Bearer secret-token");
  EXPECT_EQ(header(request, "Content-Type"), "application/json");
}

TEST(DaemonClient, NoTokenNoAuthorizationHeader) {
  FakeDaemon daemon;
  daemon.reply(200, R"({"status": "ok"})");
  ASSERT_TRUE(daemon.client().get("/health"));
  EXPECT_EQ(daemon.requests[0].url, "http://127.0.0.1:8080/health");
  EXPECT_FALSE(header(daemon.requests[0], "Authorization"));
}

TEST(DaemonClient, StatusLongPollsWithAReadTimeoutAboveTheWait) {
  FakeDaemon daemon;
  daemon.reply(200, R"({"status": "BUILDING"})");
  ASSERT_TRUE(daemon.client("http://d/prefix").status("a b/c", 30));
  EXPECT_EQ(daemon.requests[0].method, "GET");
  EXPECT_EQ(daemon.requests[0].url, "http://d/prefix/mcp/job/a%20b%2Fc/status?wait_seconds=30");
  EXPECT_GT(daemon.requests[0].timeouts.read, std::chrono::seconds(30));
}

TEST(DaemonClient, LogsEncodeEveryQueryParameter) {
  FakeDaemon daemon;
  daemon.reply(200, R"({"lines": []})");
  ASSERT_TRUE(daemon.client().logs("j1", {{"mode", "grep"}, {"pattern", "a+b&c=d [x]"}}));
  EXPECT_EQ(daemon.requests[0].url,
            "http://127.0.0.1:8080/mcp/job/j1/logs?mode=grep&pattern=a%2Bb%26c%3Dd%20%5Bx%5D");
}

TEST(InterpretResponse, FieldErrorsKeepTheirKindAndFields) {
  auto error = interpret_response(
      {400, {}, R"({"error": "owner: is required; image_name: bad", "code": "invalid_argument",
                    "details": [{"field": "owner", "reason": "is required"}, {"field": "image_name", "reason": "bad"}]})"},
      "POST /mcp/submitJob");
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(error.error().fields, (std::vector<FieldError>{{"owner", "is required"}, {"image_name", "bad"}}));
}

TEST(InterpretResponse, TheCodeOrElseTheStatusGivesTheKind) {
  auto missing = interpret_response(
      {404, {}, R"({"error": "job_id: no job x", "code": "not_found", "details": []})"}, "GET");
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
  EXPECT_EQ(missing.error().message, "job_id: no job x");
  auto unready =
      interpret_response({503, {}, R"({"status": "unavailable", "error": "state dir gone"})"}, "GET /ready");
  EXPECT_EQ(unready.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(unready.error().message, "state dir gone");
  auto proxy = interpret_response({502, {}, "<html>bad gateway</html>"}, "GET /health");
  EXPECT_EQ(proxy.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(proxy.error().message, "GET /health: HTTP 502: <html>bad gateway</html>");
  auto denied = interpret_response(
      {401, {}, R"({"error": "Unauthorized: bearer token required", "code": "unauthorized", "details": []})"},
      "GET");
  EXPECT_EQ(denied.error().kind, ErrorKind::unauthorized);
  auto throttled = interpret_response({429, {}, "slow down"}, "POST /mcp/submitJob");
  EXPECT_EQ(throttled.error().kind, ErrorKind::rate_limited);
  auto throttled_by_code = interpret_response(
      {429,
       {},
       R"({"error": "submitJob: more than 10 submits a minute", "code": "rate_limited", "details": []})"},
      "POST /mcp/submitJob");
  EXPECT_EQ(throttled_by_code.error().kind, ErrorKind::rate_limited);
  EXPECT_EQ(throttled_by_code.error().message, "submitJob: more than 10 submits a minute");
}

TEST(InterpretResponse, A2xxAnswerMustBeJson) {
  auto answer = interpret_response({200, {}, "not json"}, "GET /health");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, ErrorKind::internal);
}

TEST(DaemonClient, AFailureToConnectIsUnavailableAndNamesTheUrl) {
  FakeDaemon daemon;
  daemon.fail(ErrorKind::unavailable, "connect: Connection refused");
  auto answer = daemon.client("http://127.0.0.1:9").get("/health");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(answer.error().message,
            "cannot reach nbs-mcpd at http://127.0.0.1:9: connect: Connection refused");
}

TEST(DaemonClient, CreateRejectsABadUrl) {
  auto client = DaemonClient::create(DaemonOptions{"localhost:8080", "", ""});
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().kind, ErrorKind::invalid_argument);
  EXPECT_TRUE(client.error().message.starts_with("url: ")) << client.error().message;
}

}  // namespace
}  // namespace nbs::cli
