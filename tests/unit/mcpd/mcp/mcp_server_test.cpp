// The protocol layer without HTTP: era routing, version negotiation, errors, sessions, tool results.
#include "mcpd/mcp/mcp_server.hpp"

#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "tests/unit/mcpd/testutil/fake_tools.hpp"

namespace nbs::mcpd {
namespace {
namespace json = boost::json;
namespace asio = boost::asio;
using testing::FakeToolState;

constexpr const char* k_modern_meta =
    R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}})";

class McpServerTest : public ::testing::Test {
 protected:
  McpServerTest() {
    testing::register_fake_tools(tools_, state_);
    McpOptions options;
    options.server_info.version = "test";
    options.page_size = 2;
    server_ = std::make_unique<McpServer>(tools_, sessions_, options, &metrics_);
  }

  Reply handle(const std::string& frame, const Envelope& envelope, NotificationSink sink = {},
               std::shared_ptr<Cancellation> cancel = nullptr) {
    asio::io_context io;
    auto future = asio::co_spawn(
        io, server_->handle_frame(frame, envelope, std::move(sink), std::move(cancel)), asio::use_future);
    io.run();
    return future.get();
  }

  Reply legacy(const std::string& frame, std::optional<std::string> version = "2025-11-25") {
    Envelope e;
    e.protocol_version_header = std::move(version);
    return handle(frame, e);
  }

  // A modern HTTP request with matching headers.
  Reply modern(const std::string& method, const std::string& params_rest = "",
               std::optional<std::string> name = {}) {
    Envelope e;
    e.protocol_version_header = "2026-07-28";
    e.method_header = method;
    e.name_header = std::move(name);
    std::string params =
        std::string("{") + k_modern_meta + (params_rest.empty() ? "" : "," + params_rest) + "}";
    return handle(R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}", e);
  }

  static json::object body(const Reply& r) { return r.body->as_object(); }
  static json::object result(const Reply& r) { return r.body->at("result").as_object(); }
  static std::int64_t code(const Reply& r) { return r.body->at("error").at("code").as_int64(); }

  std::shared_ptr<FakeToolState> state_ = std::make_shared<FakeToolState>();
  ToolRegistry tools_;
  SessionStore sessions_{std::chrono::hours(1), 10};
  MetricsRegistry metrics_;
  std::unique_ptr<McpServer> server_;
};

TEST_F(McpServerTest, InitializeEchoesASupportedVersionElseAnswersLatestLegacy) {
  auto r = legacy(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",
      "capabilities":{},"clientInfo":{"name":"t","version":"1"}}})",
                  std::nullopt);
  EXPECT_EQ(result(r).at("protocolVersion"), "2025-06-18");
  ASSERT_TRUE(r.session_id.has_value());
  EXPECT_EQ(r.session_id->size(), 32u);
  EXPECT_EQ(sessions_.touch(*r.session_id, "")->protocol_version, "2025-06-18");
  EXPECT_EQ(result(r).at("serverInfo").at("name"), "nbs-mcpd");
  EXPECT_TRUE(result(r).at("capabilities").as_object().contains("tools"));

  auto old =
      legacy(R"({"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2024-11-05"}})");
  EXPECT_EQ(result(old).at("protocolVersion"), "2025-11-25");
  auto bad = legacy(R"({"jsonrpc":"2.0","id":3,"method":"initialize","params":{}})");
  EXPECT_EQ(code(bad), -32602);
}

TEST_F(McpServerTest, StdioInitializeHasNoSessionIdAndScopesTheVersion) {
  Envelope e;
  e.transport = Transport::stdio;
  auto r = handle(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26"}})", e);
  EXPECT_FALSE(r.session_id.has_value());
  EXPECT_EQ(sessions_.size(), 0u);
  // The negotiated 2025-03-26 allows batches on this stdio "session".
  auto batch =
      handle(R"([{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"ping"}])", e);
  ASSERT_TRUE(batch.body->is_array());
  EXPECT_EQ(batch.body->as_array().size(), 2u);
}

TEST_F(McpServerTest, ModernRequestsAreValidatedPerRequest) {
  Envelope e;
  e.protocol_version_header = "2026-07-28";
  e.method_header = "tools/list";
  auto no_caps = handle(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}})",
      e);
  EXPECT_EQ(no_caps.http_status, 400);
  EXPECT_EQ(code(no_caps), -32602);

  e.protocol_version_header = "2099-01-01";
  auto unsupported = handle(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientCapabilities":{}}}})",
      e);
  EXPECT_EQ(unsupported.http_status, 400);
  EXPECT_EQ(code(unsupported), -32022);
  EXPECT_EQ(
      json::serialize(body(unsupported).at("error").at("data")),
      R"({"supported":["2026-07-28","2025-11-25","2025-06-18","2025-03-26"],"requested":"2099-01-01"})");
}

TEST_F(McpServerTest, ModernHeadersMustMatchTheBody) {
  Envelope e;
  e.protocol_version_header = "2026-07-28";
  e.method_header = "tools/call";
  std::string call = std::string(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{)") +
                     k_modern_meta + R"(,"name":"echo","arguments":{"text":"hi"}}})";
  auto missing_name = handle(call, e);
  EXPECT_EQ(missing_name.http_status, 400);
  EXPECT_EQ(code(missing_name), -32020);
  EXPECT_EQ(json::serialize(body(missing_name).at("error").at("data")),
            R"({"mismatch":{"header":"Mcp-Name","expected":"echo","actual":null}})");
  e.name_header = "other";
  EXPECT_EQ(code(handle(call, e)), -32020);
  e.name_header = "echo";
  e.method_header = "tools/list";
  EXPECT_EQ(code(handle(call, e)), -32020);
  e.method_header = "tools/call";
  auto ok = handle(call, e);
  EXPECT_EQ(ok.http_status, 200);
  EXPECT_EQ(result(ok).at("structuredContent").at("text"), "hi");
  EXPECT_EQ(result(ok).at("resultType"), "complete");
  EXPECT_EQ(result(ok).at("_meta").at("io.modelcontextprotocol/serverInfo").at("name"), "nbs-mcpd");
}

TEST_F(McpServerTest, AHeaderMismatchWinsOverAnUnsupportedBodyVersion) {
  Envelope e;
  e.protocol_version_header = "2026-07-28";
  e.method_header = "tools/list";
  auto r = handle(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2025-11-25","io.modelcontextprotocol/clientCapabilities":{}}}})",
      e);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(code(r), -32020);
}

TEST_F(McpServerTest, ServerDiscoverListsBothEras) {
  auto r = modern("server/discover");
  EXPECT_EQ(json::serialize(result(r).at("supportedVersions")),
            R"(["2026-07-28","2025-11-25","2025-06-18","2025-03-26"])");
  EXPECT_EQ(result(r).at("ttlMs"), 3600000);
  EXPECT_EQ(result(r).at("cacheScope"), "public");
  EXPECT_EQ(result(r).at("resultType"), "complete");
}

TEST_F(McpServerTest, UnknownMethodIs404InModernAnd200InLegacy) {
  auto modern_ping = modern("ping");
  EXPECT_EQ(modern_ping.http_status, 404);
  EXPECT_EQ(code(modern_ping), -32601);
  auto legacy_ping = legacy(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", std::nullopt);
  EXPECT_EQ(to_wire(*legacy_ping.body), R"({"jsonrpc":"2.0","id":1,"result":{}})");
  auto unknown = legacy(R"({"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"info"}})");
  EXPECT_EQ(unknown.http_status, 200);
  EXPECT_EQ(code(unknown), -32601);
}

TEST_F(McpServerTest, ToolsListIsPagedInRegistrationOrder) {
  auto first = legacy(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})");
  auto tools = result(first).at("tools").as_array();
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_EQ(tools[0].at("name"), "echo");
  EXPECT_EQ(tools[1].at("name"), "submitJob");
  EXPECT_EQ(tools[0].at("title"), "Echo");
  EXPECT_EQ(json::serialize(tools[0].at("annotations")), R"({"readOnlyHint":true})");
  // The output schema as the tool declares it: isError results carry no structuredContent to admit.
  EXPECT_EQ(tools[0].at("outputSchema"), json::value(tools_.find("echo")->output_schema));
  std::string cursor(result(first).at("nextCursor").as_string());
  auto last = legacy(R"({"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"nbs-offset-4"}})");
  EXPECT_EQ(result(last).at("tools").as_array().size(), 1u);
  EXPECT_FALSE(result(last).contains("nextCursor"));
  EXPECT_FALSE(result(last).contains("ttlMs"));
  auto bad = legacy(R"({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":"zzz"}})");
  EXPECT_EQ(code(bad), -32602);
  auto modern_list = modern("tools/list", R"("cursor":")" + cursor + "\"");
  EXPECT_EQ(result(modern_list).at("tools").as_array()[0].at("name"), "getStatus");
  EXPECT_EQ(result(modern_list).at("ttlMs"), 3600000);
}

// A hint is sent when it says something: not a false readOnlyHint or idempotentHint (their defaults),
// not destructiveHint or idempotentHint of a read-only tool (meaningless there); destructiveHint and
// openWorldHint (true by default) whatever their value.
TEST(ToolAnnotations, OnlyTheHintsThatSaySomethingAreSent) {
  auto annotations = [](std::optional<bool> read_only, std::optional<bool> destructive,
                        std::optional<bool> idempotent, std::optional<bool> open_world) {
    Tool tool;
    tool.name = "t";
    tool.annotations = {read_only, destructive, idempotent, open_world};
    json::object described = describe_tool(tool);
    const json::value* a = described.if_contains("annotations");
    return a == nullptr ? std::string("none") : json::serialize(*a);
  };
  EXPECT_EQ(annotations(false, false, false, true), R"({"destructiveHint":false,"openWorldHint":true})");
  EXPECT_EQ(annotations(false, true, true, false),
            R"({"destructiveHint":true,"idempotentHint":true,"openWorldHint":false})");
  EXPECT_EQ(annotations(true, false, true, false), R"({"readOnlyHint":true,"openWorldHint":false})");
  EXPECT_EQ(annotations(std::nullopt, std::nullopt, false, std::nullopt), "none");
}

TEST_F(McpServerTest, PromptsAndResourcesAreEmptyLists) {
  EXPECT_EQ(json::serialize(result(legacy(R"({"jsonrpc":"2.0","id":1,"method":"prompts/list"})"))),
            R"({"prompts":[]})");
  EXPECT_EQ(json::serialize(result(legacy(R"({"jsonrpc":"2.0","id":1,"method":"resources/list"})"))),
            R"({"resources":[]})");
  EXPECT_TRUE(result(modern("resources/templates/list")).contains("resourceTemplates"));
}

TEST_F(McpServerTest, ToolFailuresAreIsErrorResultsNamingEveryField) {
  auto r = legacy(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"submitJob","arguments":{"owner":"me"}}})");
  auto res = result(r);
  EXPECT_EQ(res.at("isError"), true);
  // The text is the whole error, each field once; no structuredContent that the outputSchema would have
  // to admit.
  EXPECT_FALSE(res.contains("structuredContent")) << json::serialize(res);
  EXPECT_EQ(res.at("content").as_array().size(), 1u);
  EXPECT_EQ(res.at("content").as_array()[0].at("text"),
            "invalid_argument\nrepo_url: is required\nimage_name: is required\nregistry_url: is required");

  auto missing = legacy(
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"getStatus","arguments":{"job_id":"missing"}}})");
  EXPECT_EQ(result(missing).at("isError"), true);
  EXPECT_TRUE(
      std::string(result(missing).at("content").at(0).at("text").as_string()).starts_with("not_found: "))
      << json::serialize(result(missing));
  auto thrown = legacy(
      R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"getStatus","arguments":{"job_id":"throw"}}})");
  EXPECT_EQ(result(thrown).at("content").at(0).at("text"), "internal: getStatus: boom");
  EXPECT_FALSE(result(thrown).contains("structuredContent"));
}

TEST_F(McpServerTest, ProtocolErrorsStayJsonRpcErrors) {
  EXPECT_EQ(code(legacy(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}})")),
            -32602);
  EXPECT_EQ(
      code(legacy(
          R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":[1]}})")),
      -32602);
  auto parse = legacy("{");
  EXPECT_EQ(parse.http_status, 400);
  EXPECT_EQ(to_wire(*parse.body).substr(0, 63),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Pa)");
  auto invalid = legacy(R"({"jsonrpc":"2.0","id":1,"method":5})");
  EXPECT_EQ(invalid.http_status, 400);
  EXPECT_EQ(code(invalid), -32600);
}

TEST_F(McpServerTest, SuccessCarriesStructuredContentAndItsTextMirror) {
  auto r = legacy(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"a\"b"}}})");
  EXPECT_EQ(
      json::serialize(result(r)),
      R"({"content":[{"type":"text","text":"{\"text\":\"a\\\"b\"}"}],"structuredContent":{"text":"a\"b"}})");
}

TEST_F(McpServerTest, SessionsAreCheckedAndBoundToThePrincipal) {
  Envelope e;
  e.principal = "alice";
  auto init = handle(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})", e);
  e.session_id = init.session_id;
  EXPECT_EQ(handle(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", e).http_status, 202);
  EXPECT_TRUE(sessions_.touch(*init.session_id, "alice")->initialized);
  EXPECT_EQ(handle(R"({"jsonrpc":"2.0","id":2,"method":"ping"})", e).http_status, 200);
  e.principal = "mallory";
  auto stolen = handle(R"({"jsonrpc":"2.0","id":3,"method":"ping"})", e);
  EXPECT_EQ(stolen.http_status, 404);
  EXPECT_EQ(code(stolen), -32001);
  e.session_id = "unknown";
  EXPECT_EQ(handle(R"({"jsonrpc":"2.0","id":4,"method":"ping"})", e).http_status, 404);
}

TEST_F(McpServerTest, LegacyHeaderVersionDefaultsTo20250326AndRejectsUnknown) {
  // No header: 2025-03-26, which allows batches.
  auto batch =
      legacy(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"}])",
             std::nullopt);
  EXPECT_EQ(to_wire(*batch.body), R"([{"jsonrpc":"2.0","id":1,"result":{}}])");
  auto notifications_only = legacy(R"([{"jsonrpc":"2.0","method":"notifications/x"}])", "2025-03-26");
  EXPECT_EQ(notifications_only.http_status, 202);
  auto no_batches = legacy(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", "2025-06-18");
  EXPECT_EQ(no_batches.http_status, 400);
  EXPECT_EQ(code(no_batches), -32600);
  auto unknown = legacy(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", "1999-01-01");
  EXPECT_EQ(unknown.http_status, 400);
}

TEST_F(McpServerTest, ProgressIsSentOnlyWithATokenAndIncreases) {
  std::vector<json::object> notes;
  NotificationSink sink = [&](json::object n) { notes.push_back(std::move(n)); };
  Envelope e;
  auto r = handle(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"getStatus",
      "arguments":{"job_id":"j"},"_meta":{"progressToken":"p1"}}})",
                  e, sink);
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(
      json::serialize(notes[0]),
      R"({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p1","progress":1,"total":3,"message":"step 1"}})");
  EXPECT_EQ(notes[2].at("params").at("progress"), 3);
  notes.clear();
  handle(
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"getStatus","arguments":{"job_id":"j"}}})",
      e, sink);
  EXPECT_TRUE(notes.empty());
}

TEST_F(McpServerTest, NotificationsCancelledCancelsTheWaitOfThatRequest) {
  asio::io_context io;
  Envelope e;
  e.transport = Transport::stdio;
  auto cancel = std::make_shared<Cancellation>();
  auto future = asio::co_spawn(
      io,
      server_->handle_frame(
          R"({"jsonrpc":"2.0","id":"w1","method":"tools/call","params":{"name":"slow","arguments":{"ms":60000}}})",
          e, {}, cancel),
      asio::use_future);
  io.run_for(std::chrono::milliseconds(50));
  // Another id does nothing; the right one ends the wait.
  auto other = asio::co_spawn(
      io,
      server_->handle_frame(
          R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"w2"}})", e, {},
          nullptr),
      asio::use_future);
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(cancel->cancelled());
  auto done = asio::co_spawn(
      io,
      server_->handle_frame(
          R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"w1","reason":"user"}})",
          e, {}, nullptr),
      asio::use_future);
  io.run();
  EXPECT_EQ(done.get().http_status, 202);
  auto reply = future.get();
  EXPECT_EQ(reply.body->at("result").at("structuredContent").at("completed"), false);
  EXPECT_EQ(cancel->reason(), "notifications/cancelled: user");
  EXPECT_EQ(state_->cancelled.load(), 1);
}

TEST_F(McpServerTest, CountsMethodsInMetrics) {
  legacy(R"({"jsonrpc":"2.0","id":1,"method":"ping"})");
  modern("tools/list");
  EXPECT_EQ(metrics_.counter("nbs_mcp_requests_total", "", {"era", "method"}).value({"legacy", "ping"}), 1.0);
  EXPECT_EQ(metrics_.counter("nbs_mcp_requests_total", "", {"era", "method"}).value({"modern", "tools/list"}),
            1.0);
}

// Issue 13: legacy sessions were one LRU, so one principal creating more sessions than max_sessions
// evicted everyone else's. A client (its principal, or its address without tokens) now evicts only its
// own sessions, and a full store evicts from the client holding the most.
TEST_F(McpServerTest, OneClientCannotEvictAnothersSessions) {
  SessionStore sessions{std::chrono::hours(1), 200};
  McpServer server(tools_, sessions, McpOptions{}, nullptr);
  auto initialize = [&](const std::string& principal, const std::string& peer) {
    Envelope e;
    e.principal = principal;
    e.peer = peer;
    asio::io_context io;
    auto future = asio::co_spawn(
        io,
        server.handle_frame(
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})", e,
            {}, nullptr),
        asio::use_future);
    io.run();
    return future.get().session_id.value_or("");
  };
  const std::string alice = initialize("alice", "10.0.0.1");
  const std::string anonymous = initialize("", "10.0.0.2");
  std::vector<std::string> mallory;
  mallory.reserve(300);
  for (int i = 0; i < 300; ++i) {
    mallory.push_back(initialize("mallory", "10.0.0.3"));
  }
  EXPECT_TRUE(sessions.touch(alice, "alice"));
  EXPECT_TRUE(sessions.touch(anonymous, ""));
  EXPECT_FALSE(sessions.touch(mallory.front(), "mallory"));  // her least recently used, evicted by her own
  EXPECT_TRUE(sessions.touch(mallory.back(), "mallory"));
  EXPECT_EQ(sessions.size(), 102u);
  // Without tokens the address is the client: another address cannot evict 10.0.0.2's session either,
  // not even once the store is full.
  for (int i = 0; i < 300; ++i) {
    initialize("", "10.0.0.9");
  }
  EXPECT_TRUE(sessions.touch(anonymous, ""));
  EXPECT_TRUE(sessions.touch(alice, "alice"));
  EXPECT_EQ(sessions.size(), 200u);
}

}  // namespace
}  // namespace nbs::mcpd
