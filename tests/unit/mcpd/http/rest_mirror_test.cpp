// The REST mirror: mapping of requests to the same tool handlers, error bodies and statuses.
#include "mcpd/http/rest_mirror.hpp"

#include <boost/url/parse.hpp>
#include <gtest/gtest.h>

#include "tests/unit/mcpd/testutil/test_server.hpp"

namespace nbs::mcpd::testing {
namespace {
namespace json = boost::json;

std::string get(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
}

std::string post(const std::string& target, const std::string& body) {
  return "POST " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(RestMirror, JobRoutesMapQueryParametersByTheInputSchema) {
  ToolRegistry tools;
  register_fake_tools(tools, std::make_shared<FakeToolState>());
  auto url = boost::urls::parse_origin_form("/mcp/job/j1/logs?phase=build&tail=5&cursor=c1");
  auto call = rest_job_call(tools, "j1", "logs", url->params());
  ASSERT_TRUE(call);
  EXPECT_EQ(call->tool->name, "getLogs");
  EXPECT_EQ(json::serialize(call->arguments),
            R"({"job_id":"j1","phase":"build","mode":"tail","tail_lines":5,"cursor":"c1"})");
  auto bad = rest_job_call(tools, "j1", "logs",
                           boost::urls::parse_origin_form("/x?tail=abc&max_bytes=1k")->params());
  ASSERT_FALSE(bad);
  ASSERT_EQ(bad.error().fields.size(), 2u);
  EXPECT_EQ(bad.error().fields[0], (FieldError{"tail_lines", "must be an integer, got 'abc'"}));
  EXPECT_EQ(bad.error().fields[1], (FieldError{"max_bytes", "must be an integer, got '1k'"}));
  auto status =
      rest_job_call(tools, "j2", "status", boost::urls::parse_origin_form("/x?wait_seconds=3")->params());
  EXPECT_EQ(json::serialize(status->arguments), R"({"job_id":"j2","wait_seconds":3})");
}

TEST(RestMirror, ToolBodiesGoThroughThePerToolHook) {
  ToolRegistry tools;
  register_fake_tools(tools, std::make_shared<FakeToolState>());
  auto call = rest_tool_call(tools, "submitJob", R"({"job_config":{"owner":"o"}})");
  ASSERT_TRUE(call);
  EXPECT_EQ(json::serialize(call->arguments), R"({"owner":"o"})");
  EXPECT_EQ(rest_tool_call(tools, "submitJob", R"({"owner":"o"})").error().fields.at(0).path, "job_config");
  EXPECT_EQ(rest_tool_call(tools, "nope", "{}").error().kind, ErrorKind::not_found);
  EXPECT_EQ(rest_tool_call(tools, "echo", "[1]").error().fields.at(0).reason, "body: must be a JSON object");
}

TEST(RestMirror, OverHttpCallsTheSameHandlers) {
  TestServer server;
  auto ok = raw_exchange(
      server.port(),
      post("/mcp/submitJob",
           R"({"job_config":{"owner":"o","repo_url":"r","image_name":"i","registry_url":"g"}})"));
  EXPECT_EQ(status_of(ok), 200);
  EXPECT_EQ(body_of(ok), R"({"job_id":"job-1","status":"queued"})");
  auto invalid =
      raw_exchange(server.port(), post("/json/submitJob", R"({"job_config":{"owner":"o","git_ref":5}})"));
  EXPECT_EQ(status_of(invalid), 400);
  EXPECT_EQ(
      body_of(invalid),
      R"({"error":"repo_url: is required; image_name: is required; registry_url: is required; git_ref: must be a string",)"
      R"("code":"invalid_argument","details":[{"field":"repo_url","reason":"is required"},{"field":"image_name","reason":"is required"},)"
      R"({"field":"registry_url","reason":"is required"},{"field":"git_ref","reason":"must be a string"}]})");
  auto missing = raw_exchange(server.port(), get("/json/job/missing/status"));
  EXPECT_EQ(status_of(missing), 404);
  EXPECT_EQ(body_of(missing), R"({"error":"job_id: no job 'missing'","code":"not_found","details":[]})");
  auto logs = raw_exchange(server.port(), get("/mcp/job/j9/logs?phase=test&tail=20"));
  EXPECT_EQ(body_of(logs), R"({"arguments":{"job_id":"j9","phase":"test","mode":"tail","tail_lines":20}})");
  EXPECT_EQ(status_of(raw_exchange(server.port(), get("/mcp/job/j9/logs?tail=x"))), 400);
  EXPECT_EQ(status_of(raw_exchange(server.port(), post("/mcp/unknownTool", "{}"))), 404);
  EXPECT_EQ(status_of(raw_exchange(server.port(), get("/mcp/submitJob"))), 405);
  EXPECT_EQ(status_of(raw_exchange(server.port(), post("/mcp/echo", "{bad"))), 400);
  EXPECT_EQ(status_of(raw_exchange(server.port(), get("/.well-known/oauth-protected-resource/mcp"))), 404);
}

TEST(RestMirror, McpAndRestReportTheSameFieldErrors) {
  TestServer server;
  const std::vector<std::string> configs = {R"({})", R"({"owner":"o"})", R"({"owner":"o","repo_url":"r"})",
                                            R"({"git_ref":1,"image_name":"i"})"};
  for (const auto& config : configs) {
    auto rest = raw_exchange(server.port(), post("/mcp/submitJob", R"({"job_config":)" + config + "}"));
    std::string call =
        R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"submitJob","arguments":)" +
        config + "}}";
    auto mcp = json::parse(body_of(raw_exchange(server.port(), post_mcp(call))));
    EXPECT_EQ(mcp.at("result").at("isError"), true);
    // MCP says it in its text: the code, then one "field: reason" line per detail of the REST body.
    const json::value body = json::parse(body_of(rest));
    std::string expected(body.at("code").as_string());
    for (const auto& detail : body.at("details").as_array()) {
      expected += "\n" + std::string(detail.at("field").as_string()) + ": " +
                  std::string(detail.at("reason").as_string());
    }
    EXPECT_FALSE(body.at("details").as_array().empty()) << config;
    EXPECT_EQ(mcp.at("result").at("content").at(0).at("text"), json::value(expected)) << config;
  }
}

TEST(Routes, HealthReadyAndMetrics) {
  bool ready = false;
  TestServer server({}, std::nullopt, [&ready]() -> boost::asio::awaitable<Status> {
    if (ready) {
      co_return Status{};
    }
    co_return make_error(ErrorKind::unavailable, "nomad: no leader");
  });
  EXPECT_EQ(body_of(raw_exchange(server.port(), get("/health"))), R"({"status":"ok","version":"0.1.0"})");
  auto not_ready = raw_exchange(server.port(), get("/ready"));
  EXPECT_EQ(status_of(not_ready), 503);
  EXPECT_EQ(body_of(not_ready), R"({"status":"unavailable","error":"nomad: no leader"})");
  ready = true;
  EXPECT_EQ(status_of(raw_exchange(server.port(), get("/ready"))), 200);
  auto metrics = body_of(raw_exchange(server.port(), get("/metrics")));
  EXPECT_NE(metrics.find("# TYPE nbs_http_requests_total counter\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("nbs_http_requests_total{route=\"/health\",code=\"200\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("nbs_http_requests_total{route=\"/ready\",code=\"503\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("nbs_http_request_duration_seconds_count{route=\"/ready\"} 2\n"), std::string::npos);
}

}  // namespace
}  // namespace nbs::mcpd::testing
