// Byte-level HTTP transcripts of both protocol eras (after ref/mcp.md §2.4) against an in-process server.
#include <regex>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/unit/mcpd/testutil/test_server.hpp"

namespace nbs::mcpd::testing {
namespace {

const std::string k_discover_body =
    R"({"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"curl","version":"0"}}}})";

std::string modern_headers(const std::string& method, const std::string& name = "") {
  std::string h = "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: " + method + "\r\n";
  if (!name.empty()) {
    h += "Mcp-Name: " + name + "\r\n";
  }
  return h;
}

std::string json_response(int status, const std::string& reason, const std::string& body,
                          const std::string& extra = "") {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nServer: nbs-mcpd\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
         "Connection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

// Decodes a chunked body.
std::string dechunk(std::string body) {
  std::string out;
  for (;;) {
    auto eol = body.find("\r\n");
    if (eol == std::string::npos) {
      return out;
    }
    std::size_t size = std::stoul(body.substr(0, eol), nullptr, 16);
    if (size == 0) {
      return out;
    }
    out += body.substr(eol + 2, size);
    body = body.substr(eol + 2 + size + 2);
  }
}

TEST(HttpTranscript, ModernServerDiscover) {
  TestServer server;
  std::string response =
      raw_exchange(server.port(), post_mcp(k_discover_body, modern_headers("server/discover")));
  EXPECT_EQ(
      response,
      json_response(
          200, "OK",
          R"({"jsonrpc":"2.0","id":1,"result":{"supportedVersions":["2026-07-28","2025-11-25","2025-06-18","2025-03-26"],)"
          R"("capabilities":{"tools":{"listChanged":false},"prompts":{"listChanged":false},"resources":{"subscribe":false,"listChanged":false}},)"
          R"("ttlMs":3600000,"cacheScope":"public","resultType":"complete",)"
          R"("_meta":{"io.modelcontextprotocol/serverInfo":{"name":"nbs-mcpd","version":"test","title":"Nomad Build Service"}}}})"));
}

TEST(HttpTranscript, ModernErrors) {
  TestServer server;
  // Mcp-Name missing on tools/call.
  std::string call =
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}},"name":"echo","arguments":{"text":"x"}}})";
  EXPECT_EQ(
      raw_exchange(server.port(), post_mcp(call, modern_headers("tools/call"))),
      json_response(
          400, "Bad Request",
          R"({"jsonrpc":"2.0","id":2,"error":{"code":-32020,"message":"the required Mcp-Name header is absent",)"
          R"("data":{"mismatch":{"header":"Mcp-Name","expected":"echo","actual":null}}}})"));
  // Unsupported version.
  std::string v2099 =
      R"({"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientCapabilities":{}}}})";
  EXPECT_EQ(
      raw_exchange(server.port(),
                   post_mcp(v2099, "MCP-Protocol-Version: 2099-01-01\r\nMcp-Method: tools/list\r\n")),
      json_response(
          400, "Bad Request",
          R"({"jsonrpc":"2.0","id":3,"error":{"code":-32022,"message":"Unsupported protocol version: 2099-01-01",)"
          R"("data":{"supported":["2026-07-28","2025-11-25","2025-06-18","2025-03-26"],"requested":"2099-01-01"}}})"));
  // Unknown method → 404.
  std::string ping =
      R"({"jsonrpc":"2.0","id":4,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}})";
  EXPECT_EQ(
      raw_exchange(server.port(), post_mcp(ping, modern_headers("ping"))),
      json_response(404, "Not Found",
                    R"({"jsonrpc":"2.0","id":4,"error":{"code":-32601,"message":"Method not found"}})"));
  // GET and DELETE → 405.
  std::string get =
      "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nMCP-Protocol-Version: 2026-07-28\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(status_of(raw_exchange(server.port(), get)), 405);
  std::string del =
      "DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nMCP-Protocol-Version: 2026-07-28\r\nConnection: "
      "close\r\n\r\n";
  EXPECT_EQ(status_of(raw_exchange(server.port(), del)), 405);
}

TEST(HttpTranscript, ModernToolCallWithProgressStreamsSse) {
  TestServer server;
  std::string call =
      R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"progressToken":"p1"},"name":"getStatus","arguments":{"job_id":"j1"}}})";
  std::string response =
      raw_exchange(server.port(), post_mcp(call, modern_headers("tools/call", "getStatus")));
  auto split = response.find("\r\n\r\n");
  ASSERT_NE(split, std::string::npos) << response;
  EXPECT_EQ(response.substr(0, split + 4),
            "HTTP/1.1 200 OK\r\nServer: nbs-mcpd\r\nContent-Type: text/event-stream\r\n"
            "Cache-Control: no-cache, no-transform\r\nX-Accel-Buffering: no\r\nConnection: close\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
  std::string events;
  for (int i = 1; i <= 3; ++i) {
    events += R"(event: message
data: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p1","progress":)" +
              std::to_string(i) + R"(,"total":3,"message":"step )" + std::to_string(i) + "\"}}\n\n";
  }
  events +=
      R"(event: message
data: {"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"{\"job_id\":\"j1\",\"status\":\"BUILDING\",\"finished\":true}"}],)"
      R"("structuredContent":{"job_id":"j1","status":"BUILDING","finished":true},"resultType":"complete",)"
      R"("_meta":{"io.modelcontextprotocol/serverInfo":{"name":"nbs-mcpd","version":"test","title":"Nomad Build Service"}}}})"
      "\n\n";
  EXPECT_EQ(dechunk(response.substr(split + 4)), events);
}

TEST(HttpTranscript, LegacyHandshakeSessionAndNotifications) {
  TestServer server;
  std::string init =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";
  std::string response = raw_exchange(server.port(), post_mcp(init));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(response, m, std::regex("Mcp-Session-Id: ([0-9a-f]{32})\r\n")));
  std::string session = m[1];
  EXPECT_EQ(
      std::regex_replace(response, std::regex("Mcp-Session-Id: [0-9a-f]{32}"), "Mcp-Session-Id: <id>"),
      json_response(
          200, "OK",
          R"({"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25",)"
          R"("capabilities":{"tools":{"listChanged":false},"prompts":{"listChanged":false},"resources":{"subscribe":false,"listChanged":false}},)"
          R"("serverInfo":{"name":"nbs-mcpd","version":"test","title":"Nomad Build Service"}}})",
          "Mcp-Session-Id: <id>\r\n"));
  std::string with_session = "Mcp-Session-Id: " + session + "\r\nMCP-Protocol-Version: 2025-11-25\r\n";
  EXPECT_EQ(raw_exchange(server.port(),
                         post_mcp(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", with_session)),
            "HTTP/1.1 202 Accepted\r\nServer: nbs-mcpd\r\nCache-Control: no-store\r\nConnection: close\r\n"
            "Content-Length: 0\r\n\r\n");
  EXPECT_EQ(body_of(raw_exchange(server.port(),
                                 post_mcp(R"({"jsonrpc":"2.0","id":2,"method":"ping"})", with_session))),
            R"({"jsonrpc":"2.0","id":2,"result":{}})");
  // GET opens a keep-alive SSE stream for the session.
  std::string get =
      "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" + with_session + "\r\n";
  std::string stream = raw_exchange(server.port(), get, std::chrono::milliseconds(300));
  EXPECT_EQ(status_of(stream), 200);
  EXPECT_NE(stream.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(stream.find(": stream open\n\n"), std::string::npos);
  // DELETE ends the session; it is then unknown (404).
  std::string del =
      "DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + with_session + "\r\n";
  EXPECT_EQ(status_of(raw_exchange(server.port(), del)), 200);
  EXPECT_EQ(
      raw_exchange(server.port(), post_mcp(R"({"jsonrpc":"2.0","id":3,"method":"ping"})", with_session)),
      json_response(404, "Not Found",
                    R"({"jsonrpc":"2.0","id":3,"error":{"code":-32001,"message":"Session not found"}})"));
  // GET without a session: 405.
  EXPECT_EQ(status_of(raw_exchange(server.port(),
                                   "GET /mcp HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")),
            405);
}

TEST(HttpTranscript, LegacyWithoutHeaderIs20250326AndAllowsBatches) {
  TestServer server;
  std::string batch =
      R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"b"}}}])";
  EXPECT_EQ(
      body_of(raw_exchange(server.port(), post_mcp(batch))),
      R"([{"jsonrpc":"2.0","id":1,"result":{}},{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"{\"text\":\"b\"}"}],"structuredContent":{"text":"b"}}}])");
  EXPECT_EQ(status_of(raw_exchange(server.port(), post_mcp(batch, "MCP-Protocol-Version: 2025-11-25\r\n"))),
            400);
  EXPECT_EQ(
      raw_exchange(server.port(), post_mcp("{oops")),
      json_response(
          400, "Bad Request",
          R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: syntax error"}})"));
}

TEST(HttpSecurity, BadOriginAndHostAre403) {
  TestServer server;
  EXPECT_EQ(
      raw_exchange(server.port(), post_mcp(R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                                           "Origin: http://evil.example\r\n")),
      json_response(
          403, "Forbidden",
          R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Invalid Origin: evil.example"}})"));
  EXPECT_EQ(status_of(raw_exchange(server.port(), post_mcp(R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                                                           "Origin: http://localhost:5173\r\n"))),
            200);
  std::string evil_host = "GET /health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(status_of(raw_exchange(server.port(), evil_host)), 403);
  HttpOptions options;
  options.allowed_origins = {"https://app.example"};
  TestServer strict(options);
  EXPECT_EQ(status_of(raw_exchange(strict.port(), post_mcp(R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                                                           "Origin: http://localhost:5173\r\n"))),
            403);
  EXPECT_EQ(status_of(raw_exchange(strict.port(), post_mcp(R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                                                           "Origin: https://app.example\r\n"))),
            200);
}

TEST(HttpSecurity, TokensAreRequiredEverywhereButHealth) {
  auto tokens = TokenStore::parse("# ci\nalice 0123456789abcdef0123\n", "tokens");
  ASSERT_TRUE(tokens);
  TestServer server({}, std::move(*tokens));
  std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  EXPECT_EQ(
      raw_exchange(server.port(), post_mcp(ping)),
      json_response(
          401, "Unauthorized",
          R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Unauthorized: bearer token required"}})",
          "WWW-Authenticate: Bearer realm=\"nbs-mcpd\"\r\n"));
  std::string wrong =
      raw_exchange(server.port(), post_mcp(ping, "Authorization: Bearer 0123456789abcdef0124\r\n"));
  EXPECT_EQ(status_of(wrong), 401);
  EXPECT_NE(wrong.find("error=\"invalid_token\""), std::string::npos);
  EXPECT_EQ(status_of(raw_exchange(server.port(),
                                   post_mcp(ping, "Authorization: Bearer 0123456789abcdef0123\r\n"))),
            200);
  EXPECT_EQ(status_of(raw_exchange(server.port(),
                                   "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")),
            401);
  EXPECT_EQ(status_of(raw_exchange(server.port(),
                                   "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")),
            200);
  // The caller's identity reaches the tool.
  std::string call =
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"t"}}})";
  raw_exchange(server.port(), post_mcp(call, "Authorization: bearer 0123456789abcdef0123\r\n"));
  std::lock_guard lock(server.state->mutex);
  EXPECT_EQ(server.state->last_principal, "alice");
}

TEST(HttpSecurity, OversizedBodiesAre413BeforeTheBodyIsRead) {
  HttpOptions options;
  options.max_body_bytes = 1024;
  TestServer server(options);
  // Only the header is sent: the answer must not wait for the announced body.
  std::string header_only = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n";
  std::string response = raw_exchange(server.port(), header_only, std::chrono::seconds(2));
  EXPECT_EQ(status_of(response), 413);
  EXPECT_EQ(
      body_of(response),
      R"({"error":"body: is 5000 bytes, more than the limit of 1024","code":"invalid_argument","details":[{"field":"body","reason":"is 5000 bytes, more than the limit of 1024"}]})");
  // A chunked body without Content-Length is cut off by the parser's body limit.
  std::string chunk(2000, 'x');
  std::string chunked =
      "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n7d0\r\n" +
      chunk + "\r\n0\r\n\r\n";
  EXPECT_EQ(status_of(raw_exchange(server.port(), chunked)), 413);
}

// A 403 names its reason as "forbidden" (not "unauthorized", which is the 401 of a missing token).
TEST(HttpSecurity, ForbiddenHostOrOriginOnRestSaysForbidden) {
  TestServer server;
  EXPECT_EQ(
      raw_exchange(server.port(),
                   "GET /mcp/job/j1/status HTTP/1.1\r\nHost: 127.0.0.1.evil.example\r\nConnection: "
                   "close\r\n\r\n"),
      json_response(403, "Forbidden",
                    R"({"error":"Invalid Host: 127.0.0.1.evil.example","code":"forbidden","details":[]})"));
  EXPECT_EQ(raw_exchange(server.port(),
                         "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://[::1].evil.example\r\n"
                         "Connection: close\r\n\r\n"),
            json_response(
                403, "Forbidden",
                R"({"error":"Invalid Origin: http://[::1].evil.example","code":"forbidden","details":[]})"));
  // A well-formed origin is named by its host, as MCP's reference servers do.
  EXPECT_EQ(body_of(raw_exchange(server.port(),
                                 "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: "
                                 "http://127.0.0.1.evil.example:8080\r\nConnection: close\r\n\r\n")),
            R"({"error":"Invalid Origin: 127.0.0.1.evil.example","code":"forbidden","details":[]})");
}

// Two Host or Origin headers: which one a proxy in front reads is anyone's guess, so neither is trusted.
TEST(HttpSecurity, RepeatedHostOrOriginIsRefused) {
  TestServer server;
  EXPECT_EQ(
      raw_exchange(server.port(),
                   "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n"
                   "Connection: close\r\n\r\n"),
      json_response(400, "Bad Request",
                    R"({"error":"host: more than one Host header","code":"invalid_argument","details":[]})"));
  EXPECT_EQ(
      body_of(raw_exchange(server.port(),
                           post_mcp(R"({"jsonrpc":"2.0","id":1,"method":"ping"})",
                                    "Origin: http://localhost\r\nOrigin: http://evil.example\r\n"))),
      R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Invalid Origin: more than one Origin header"}})");
}

// A POST body is JSON: anything else (a form, text/plain) is what a cross-site page can send without a
// CORS preflight, so it is refused before the body is read.
TEST(HttpSecurity, PostsMustBeApplicationJson) {
  TestServer server;
  const std::string ping = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
  const std::string job =
      R"({"job_config":{"owner":"o","repo_url":"r","image_name":"i","registry_url":"g"}})";
  auto request = [](const std::string& target, const std::string& content_type, const std::string& body) {
    return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
           (content_type.empty() ? std::string() : "Content-Type: " + content_type + "\r\n") +
           "Accept: application/json, text/event-stream\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  EXPECT_EQ(
      raw_exchange(server.port(), request("/mcp", "text/plain", ping)),
      json_response(
          415, "Unsupported Media Type",
          R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Unsupported Media Type: Content-Type must be application/json, got 'text/plain'"}})"));
  EXPECT_EQ(
      raw_exchange(server.port(), request("/mcp/submitJob", "text/plain;charset=UTF-8", job)),
      json_response(
          415, "Unsupported Media Type",
          R"({"error":"content-type: must be application/json, got 'text/plain;charset=UTF-8'","code":"invalid_argument",)"
          R"("details":[{"field":"content-type","reason":"must be application/json, got 'text/plain;charset=UTF-8'"}]})"));
  EXPECT_EQ(body_of(raw_exchange(server.port(), request("/json/submitJob", "", job))),
            R"({"error":"content-type: is required and must be application/json","code":"invalid_argument",)"
            R"("details":[{"field":"content-type","reason":"is required and must be application/json"}]})");
  for (const std::string bad : {"", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                "text/plain", "application/jsonx", "application/json-patch+json",
                                "application/json+evil", "json", "application/ json", "text/json"}) {
    EXPECT_EQ(status_of(raw_exchange(server.port(), request("/mcp", bad, ping))), 415) << bad;
    EXPECT_EQ(status_of(raw_exchange(server.port(), request("/mcp/submitJob", bad, job))), 415) << bad;
  }
  EXPECT_EQ(server.state->calls.load(), 0);
  for (const std::string good : {"application/json", "application/json; charset=utf-8", "Application/JSON",
                                 "application/json;charset=\"utf-8\"", " application/json "}) {
    EXPECT_EQ(status_of(raw_exchange(server.port(), request("/mcp", good, ping))), 200) << good;
    EXPECT_EQ(status_of(raw_exchange(server.port(), request("/mcp/submitJob", good, job))), 200) << good;
  }
  // GET, DELETE and the other routes carry no body and need no Content-Type.
  EXPECT_EQ(
      status_of(raw_exchange(
          server.port(), "GET /mcp/job/j1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")),
      200);
}

// The batch of issue 13: thousands of tools/list in one 2025-03-26 batch. Refused as a whole, naming the
// limit, before any entry runs.
TEST(HttpSecurity, LongBatchesAreRefused) {
  TestServer server;
  std::string batch = "[";
  for (int i = 0; i < 5000; ++i) {
    batch += (i == 0 ? "" : ",") + std::string(R"({"jsonrpc":"2.0","id":)") + std::to_string(i) +
             R"(,"method":"tools/call","params":{"name":"echo","arguments":{"text":"x"}}})";
  }
  batch += "]";
  std::string response = raw_exchange(server.port(), post_mcp(batch));
  EXPECT_EQ(status_of(response), 400);
  EXPECT_EQ(
      body_of(response),
      R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request: a batch may hold at most 32 messages, this one has 5000"}})");
  EXPECT_EQ(server.state->calls.load(), 0);
}

// Up to 32 calls may each answer a lot: once the answer has reached its limit, the entries left are not
// run but answered with an error that says so (so a client knows which to send again).
TEST(HttpSecurity, BatchAnswersAreBounded) {
  TestServer server;
  constexpr std::size_t k_answer_limit = std::size_t{4} * 1024 * 1024;
  const std::string text(std::size_t{100} * 1024, 'x');
  std::string batch = "[";
  for (int i = 0; i < 32; ++i) {
    batch += (i == 0 ? "" : ",") + std::string(R"({"jsonrpc":"2.0","id":)") + std::to_string(i) +
             R"(,"method":"tools/call","params":{"name":"echo","arguments":{"text":")" + text + R"("}}})";
  }
  batch += "]";
  std::string response = raw_exchange(server.port(), post_mcp(batch));
  ASSERT_EQ(status_of(response), 200);
  const std::string body = body_of(response);
  EXPECT_LT(body.size(), k_answer_limit + std::size_t{300} *
                                              1024);  // the limit and at most the one answer that crossed it
  const auto answers = boost::json::parse(body).as_array();
  ASSERT_EQ(answers.size(), 32u);
  const auto ran = static_cast<std::size_t>(server.state->calls.load());
  EXPECT_GT(ran, 0u);
  EXPECT_LT(ran, 32u);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    const auto& answer = answers[i].as_object();
    EXPECT_EQ(answer.at("id").as_int64(), static_cast<std::int64_t>(i));
    if (i < ran) {
      EXPECT_TRUE(answer.contains("result")) << i;
    } else {
      EXPECT_EQ(
          boost::json::serialize(answer.at("error")),
          R"({"code":-32000,"message":"Not run: the batch's answer reached its limit of 4194304 bytes; send this request again"})")
          << i;
    }
  }
}

}  // namespace
}  // namespace nbs::mcpd::testing
