// The MCP-over-HTTP handler on parsed requests, without a socket: what POST, GET and DELETE /mcp get
// (responses, calls to run, streams to open) and the session header checks.
#include "mcpd/http/mcp_http_handler.hpp"

#include <gtest/gtest.h>

#include "tests/unit/mcpd/testutil/fake_tools.hpp"

namespace nbs::mcpd {
namespace {
namespace json = boost::json;

constexpr const char* k_initialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
constexpr const char* k_modern_call =
    R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"progressToken":"p1"},"name":"getStatus","arguments":{"job_id":"j1"}}})";

class McpHttpHandlerTest : public ::testing::Test {
 protected:
  McpHttpHandlerTest() {
    testing::register_fake_tools(tools_, state_);
    McpOptions options;
    options.server_info.version = "test";
    mcp_ = std::make_unique<McpServer>(tools_, sessions_, options, &metrics_);
  }

  static HttpRequest request(http::verb verb, std::string body = "") {
    HttpRequest req{verb, "/mcp", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
  }

  McpPlan plan(const HttpRequest& req, const std::string& principal = "alice") {
    return plan_mcp_request(*mcp_, req, principal, "10.0.0.7", true);
  }

  // A legacy session of `principal`, opened through the handler.
  std::string open_session(const std::string& principal = "alice") {
    McpPlan p = plan(request(http::verb::post, k_initialize), principal);
    const auto& res = std::get<HttpResponse>(p);
    EXPECT_EQ(res.result_int(), 200u);
    return std::string(res["Mcp-Session-Id"]);
  }

  static HttpResponse response(McpPlan p) {
    EXPECT_TRUE(std::holds_alternative<HttpResponse>(p));
    return std::get<HttpResponse>(std::move(p));
  }

  static int rpc_code(const HttpResponse& res) {
    return static_cast<int>(json::parse(res.body()).at("error").at("code").as_int64());
  }

  std::shared_ptr<testing::FakeToolState> state_ = std::make_shared<testing::FakeToolState>();
  ToolRegistry tools_;
  SessionStore sessions_{std::chrono::hours(1), 10};
  MetricsRegistry metrics_;
  std::unique_ptr<McpServer> mcp_;
};

TEST_F(McpHttpHandlerTest, InitializeIsAnsweredAtOnceWithItsSession) {
  std::string session = open_session();
  ASSERT_FALSE(session.empty());
  EXPECT_TRUE(sessions_.touch(session, "alice").has_value());
  EXPECT_EQ(state_->calls.load(), 0);
}

TEST_F(McpHttpHandlerTest, ToolCallIsStreamedOnlyWithAProgressTokenAndAnEventStreamAccept) {
  HttpRequest req = request(http::verb::post, k_modern_call);
  req.set("MCP-Protocol-Version", "2026-07-28");
  req.set("Mcp-Method", "tools/call");
  req.set("Mcp-Name", "getStatus");
  req.set(http::field::accept, "application/json, text/event-stream");
  McpPlan streamed = plan(req);
  ASSERT_TRUE(std::holds_alternative<McpRunCall>(streamed));
  const auto& call = std::get<McpRunCall>(streamed);
  EXPECT_TRUE(call.sse);
  EXPECT_EQ(call.call.tool->name, "getStatus");
  EXPECT_EQ(call.call.info.principal, "alice");
  EXPECT_EQ(call.call.info.peer, "10.0.0.7");

  req.set(http::field::accept, "application/json");
  McpPlan plain = plan(req);
  ASSERT_TRUE(std::holds_alternative<McpRunCall>(plain));
  EXPECT_FALSE(std::get<McpRunCall>(plain).sse);
  EXPECT_EQ(state_->calls.load(), 0);  // planned, not run
}

TEST_F(McpHttpHandlerTest, ABatchOrABodyThatIsNotJsonIsLeftToTheWholeFrame) {
  HttpRequest req = request(http::verb::post, "{not json");
  req.set("Mcp-Session-Id", "s-1");
  McpPlan p = plan(req);
  ASSERT_TRUE(std::holds_alternative<McpRunFrame>(p));
  const Envelope& env = std::get<McpRunFrame>(p).envelope;
  EXPECT_EQ(env.session_id, "s-1");
  EXPECT_EQ(env.principal, "alice");
  EXPECT_EQ(env.peer, "10.0.0.7");
  EXPECT_TRUE(std::holds_alternative<McpRunFrame>(
      plan(request(http::verb::post, R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])"))));
}

TEST_F(McpHttpHandlerTest, GetOpensAStreamOnlyForALiveLegacySessionThatAcceptsEventStreams) {
  HttpRequest modern = request(http::verb::get);
  modern.set("MCP-Protocol-Version", "2026-07-28");
  HttpResponse res = response(plan(modern));
  EXPECT_EQ(res.result_int(), 405u);
  EXPECT_EQ(res[http::field::allow], "POST, DELETE");
  EXPECT_EQ(response(plan(request(http::verb::get))).result_int(), 405u);  // no session

  std::string session = open_session();
  HttpRequest get = request(http::verb::get);
  get.set("Mcp-Session-Id", session);
  res = response(plan(get, "mallory"));  // another principal's session
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(rpc_code(res), -32001);
  EXPECT_EQ(response(plan(get)).result_int(), 406u);  // no text/event-stream in Accept

  get.set(http::field::accept, "text/event-stream");
  McpPlan p = plan(get);
  ASSERT_TRUE(std::holds_alternative<McpOpenStream>(p));
  const auto& stream = std::get<McpOpenStream>(p);
  EXPECT_EQ(stream.session_id, session);
  EXPECT_TRUE(mcp_stream_open(*mcp_, stream));
  ASSERT_TRUE(sessions_.erase(session));
  EXPECT_FALSE(mcp_stream_open(*mcp_, stream));
}

TEST_F(McpHttpHandlerTest, DeleteEndsTheSessionOnceAndChecksItsHeaders) {
  HttpResponse res = response(plan(request(http::verb::delete_)));
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_EQ(rpc_code(res), -32000);
  EXPECT_NE(res.body().find("Mcp-Session-Id header is required"), std::string::npos);

  HttpRequest modern = request(http::verb::delete_);
  modern.set("MCP-Protocol-Version", "2026-07-28");
  res = response(plan(modern));
  EXPECT_EQ(res.result_int(), 405u);
  EXPECT_EQ(res[http::field::allow], "POST");

  std::string session = open_session();
  HttpRequest del = request(http::verb::delete_);
  del.set("Mcp-Session-Id", session);
  EXPECT_EQ(response(plan(del, "mallory")).result_int(), 404u);
  res = response(plan(del));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.find(http::field::content_type), res.end());
  EXPECT_FALSE(sessions_.touch(session, "alice").has_value());
  EXPECT_EQ(response(plan(del)).result_int(), 404u);
}

TEST_F(McpHttpHandlerTest, AReplyWithoutABodyIs202WithoutContentType) {
  Reply accepted{202, std::nullopt, std::string("s-9")};
  HttpResponse res = reply_response(accepted, 11, true);
  EXPECT_EQ(res.result_int(), 202u);
  EXPECT_EQ(res.find(http::field::content_type), res.end());
  EXPECT_EQ(res["Mcp-Session-Id"], "s-9");
}

}  // namespace
}  // namespace nbs::mcpd
