// Byte-level HTTP transcripts of both protocol eras (after ref/mcp.md §2.4) against an in-process server.
#include <regex>

#include <gtest/gtest.h>

#include "tests/unit/mcpd/test_server.hpp"

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
  std::string chunked = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" +
                        chunk + "\r\n0\r\n\r\n";
  EXPECT_EQ(status_of(raw_exchange(server.port(), chunked)), 413);
}

}  // namespace
}  // namespace nbs::mcpd::testing
