// MCP over Streamable HTTP (POST, GET and DELETE on /mcp) as decisions on a parsed request: the session
// header checks, the protocol era (through McpServer::prepare), and whether the answer is a response now,
// a call to run (as JSON or as an SSE stream) or a legacy keep-alive stream. No socket I/O: the
// connection (http_connection_impl.hpp) carries the decision out, so this layer is tested without a socket.
#pragma once

#include <string>
#include <variant>

#include "mcpd/http/http_routes.hpp"
#include "mcpd/mcp/mcp_server.hpp"

namespace nbs::mcpd {

// A batch or a frame that is not JSON: McpServer::handle_frame answers it whole, then reply_response().
struct McpRunFrame {
  Envelope envelope;
};

// One tools/call that passed every check. With `sse`, its progress notifications and then its result go
// out as Server-Sent Events; otherwise its result is one JSON response.
struct McpRunCall {
  PendingCall call;
  bool sse = false;
};

// Legacy GET /mcp: an SSE stream of keep-alive comments for as long as the session lives
// (mcp_stream_open()).
struct McpOpenStream {
  std::string session_id;
  std::string principal;
};

using McpPlan = std::variant<HttpResponse, McpRunFrame, McpRunCall, McpOpenStream>;

// What a request to /mcp gets. `principal` is the authenticated caller ("" without auth), `peer` the
// client's address. A DELETE ends its session here.
McpPlan plan_mcp_request(McpServer& mcp, const HttpRequest& req, const std::string& principal,
                         const std::string& peer, bool keep_alive);

// Whether a legacy stream may go on: its session still exists (and is kept alive by asking).
bool mcp_stream_open(McpServer& mcp, const McpOpenStream& stream);

// The HTTP response for an MCP reply: its JSON body with its status, or 202 without content; a session
// minted by initialize goes in Mcp-Session-Id.
HttpResponse reply_response(const Reply& reply, unsigned version, bool keep_alive);

}  // namespace nbs::mcpd
