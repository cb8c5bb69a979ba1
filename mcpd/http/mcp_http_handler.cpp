#include "mcpd/http/mcp_http_handler.hpp"

#include <optional>
#include <string_view>

#include "mcpd/mcp/json_rpc.hpp"
#include "mcpd/mcp/protocol_version.hpp"

namespace nbs::mcpd {

namespace {

std::optional<std::string> header_value(const HttpRequest& req, std::string_view name) {
  auto it = req.find(name);
  if (it == req.end()) {
    return std::nullopt;
  }
  return std::string(it->value());
}

bool accepts_event_stream(const HttpRequest& req) {
  return req[http::field::accept].find("text/event-stream") != std::string_view::npos;
}

bool is_modern_request(const HttpRequest& req) {
  auto v = header_value(req, "MCP-Protocol-Version");
  return v && is_modern_version(*v);
}

HttpResponse method_not_allowed(std::string_view allow, unsigned version, bool keep_alive) {
  HttpResponse res = text_response(405, "", "text/plain", version, keep_alive);
  res.set(http::field::allow, allow);
  return res;
}

HttpResponse session_not_found(unsigned version, bool keep_alive) {
  return json_response(404, make_error_response(nullptr, rpc_code::k_session_not_found, "Session not found"),
                       version, keep_alive);
}

Envelope envelope_of(const HttpRequest& req, const std::string& principal, const std::string& peer) {
  Envelope env;
  env.transport = Transport::http;
  env.protocol_version_header = header_value(req, "MCP-Protocol-Version");
  env.method_header = header_value(req, "Mcp-Method");
  env.name_header = header_value(req, "Mcp-Name");
  env.session_id = header_value(req, "Mcp-Session-Id");
  env.principal = principal;
  env.peer = peer;
  return env;
}

McpPlan plan_post(McpServer& mcp, const HttpRequest& req, const std::string& principal,
                  const std::string& peer, bool keep_alive) {
  Envelope env = envelope_of(req, principal, peer);
  ParsedFrame frame = parse_frame(req.body());
  if (frame.parse_error || frame.is_batch) {
    return McpRunFrame{std::move(env)};
  }
  Prepared prepared = mcp.prepare(frame.messages.front(), env);
  if (auto* reply = std::get_if<Reply>(&prepared)) {
    return reply_response(*reply, req.version(), keep_alive);
  }
  auto call = std::move(std::get<PendingCall>(prepared));
  bool sse = call.info.progress_token.has_value() && accepts_event_stream(req);
  return McpRunCall{std::move(call), sse};
}

// Legacy GET /mcp: a stream carrying only keep-alive comments (mcpd sends no unsolicited messages), for
// clients that expect one per session. Modern clients and requests without a session get 405.
McpPlan plan_get(McpServer& mcp, const HttpRequest& req, const std::string& principal, bool keep_alive) {
  unsigned v = req.version();
  auto session_id = header_value(req, "Mcp-Session-Id");
  if (is_modern_request(req) || !session_id) {
    return method_not_allowed("POST, DELETE", v, keep_alive);
  }
  if (!mcp.sessions().touch(*session_id, principal)) {
    return session_not_found(v, keep_alive);
  }
  if (!accepts_event_stream(req)) {
    return text_response(406, "GET /mcp serves text/event-stream only\n", "text/plain", v, keep_alive);
  }
  return McpOpenStream{*session_id, principal};
}

McpPlan plan_delete(McpServer& mcp, const HttpRequest& req, const std::string& principal, bool keep_alive) {
  unsigned v = req.version();
  auto session_id = header_value(req, "Mcp-Session-Id");
  if (is_modern_request(req)) {
    return method_not_allowed("POST", v, keep_alive);
  }
  if (!session_id) {
    return json_response(400,
                         make_error_response(nullptr, rpc_code::k_server_error,
                                             "Bad Request: Mcp-Session-Id header is required"),
                         v, keep_alive);
  }
  if (!mcp.sessions().touch(*session_id, principal) || !mcp.sessions().erase(*session_id)) {
    return session_not_found(v, keep_alive);
  }
  HttpResponse res = text_response(200, "", "application/json", v, keep_alive);
  res.erase(http::field::content_type);
  return res;
}

}  // namespace

McpPlan plan_mcp_request(McpServer& mcp, const HttpRequest& req, const std::string& principal,
                         const std::string& peer, bool keep_alive) {
  if (req.method() == http::verb::post) {
    return plan_post(mcp, req, principal, peer, keep_alive);
  }
  if (req.method() == http::verb::get) {
    return plan_get(mcp, req, principal, keep_alive);
  }
  return plan_delete(mcp, req, principal, keep_alive);
}

bool mcp_stream_open(McpServer& mcp, const McpOpenStream& stream) {
  return mcp.sessions().touch(stream.session_id, stream.principal).has_value();
}

HttpResponse reply_response(const Reply& reply, unsigned version, bool keep_alive) {
  HttpResponse res;
  if (reply.body) {
    res = json_response(static_cast<unsigned>(reply.http_status), *reply.body, version, keep_alive);
  } else {
    res = text_response(202, "", "application/json", version, keep_alive);
    res.erase(http::field::content_type);
  }
  if (reply.session_id) {
    res.set("Mcp-Session-Id", *reply.session_id);
  }
  return res;
}

}  // namespace nbs::mcpd
