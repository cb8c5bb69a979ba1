// The MCP protocol layer, independent of the transport: routes each JSON-RPC message to the modern
// (2026-07-28, stateless) or legacy (initialize + optional session) era as ref/mcp.md §6.1 says,
// validates it, and answers it. tools/call is split into prepare() (every protocol check, synchronous)
// and run() (the tool's coroutine), so a transport can choose a streamed response before the tool runs.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include "mcpd/mcp/cancellation.hpp"
#include "mcpd/mcp/json_rpc.hpp"
#include "mcpd/mcp/mcp_results.hpp"
#include "mcpd/mcp/mcp_session.hpp"
#include "mcpd/mcp/tool_registry.hpp"
#include "mcpd/metrics.hpp"

namespace nbs::mcpd {

enum class Transport { http, stdio };

// What the transport knows about one incoming frame besides its bytes.
struct Envelope {
  Transport transport = Transport::http;
  std::optional<std::string> protocol_version_header;  // MCP-Protocol-Version (HTTP only)
  std::optional<std::string> method_header;            // Mcp-Method
  std::optional<std::string> name_header;              // Mcp-Name
  std::optional<std::string> session_id;               // Mcp-Session-Id
  std::string principal;                               // the authenticated caller, "" without auth
  std::string peer;                                    // the client's address (HTTP), for rate limits
};

// The answer to one frame.
struct Reply {
  int http_status = 200;
  std::optional<boost::json::value> body;  // none: HTTP 202 with no body, nothing on stdio
  std::optional<std::string> session_id;   // a session minted by initialize (Mcp-Session-Id header)
};

// A tools/call that passed every protocol check; run() executes it.
struct PendingCall {
  const Tool* tool = nullptr;
  boost::json::value id;
  boost::json::object arguments;
  CallInfo info;
  std::string cancel_scope;  // which notifications/cancelled may cancel it
};

using Prepared = std::variant<Reply, PendingCall>;

struct McpOptions {
  ServerInfo server_info;
  std::size_t page_size = 100;  // tools per tools/list page
  // A 2025-03-26 batch: longer ones are refused whole; once the answers reach max_batch_answer_bytes,
  // the requests left are not run but answered with an error (so one body cannot make the daemon build
  // an answer of any size).
  std::size_t max_batch = 32;
  std::size_t max_batch_answer_bytes = std::size_t{4} * 1024 * 1024;
};

class McpServer {
 public:
  McpServer(const ToolRegistry& tools, SessionStore& sessions, McpOptions options,
            MetricsRegistry* metrics = nullptr);

  // Checks one message (not a batch) and answers it, unless it is a tools/call still to run.
  Prepared prepare(const Message& message, const Envelope& envelope);

  // Runs a prepared tools/call. `sink` carries progress notifications (may be empty); `cancel` is the
  // request's cancellation, also reachable through notifications/cancelled while it runs.
  boost::asio::awaitable<Reply> run(PendingCall call, NotificationSink sink,
                                    std::shared_ptr<Cancellation> cancel);

  // A whole frame: parse errors, batches (2025-03-26 only, within the McpOptions limits), and single
  // messages with calls run inline.
  boost::asio::awaitable<Reply> handle_frame(std::string_view bytes, const Envelope& envelope,
                                             NotificationSink sink, std::shared_ptr<Cancellation> cancel);

  const ServerInfo& server_info() const { return options_.server_info; }
  const ToolRegistry& tools() const { return tools_; }
  SessionStore& sessions() { return sessions_; }

  // Cancels every running call (daemon shutdown).
  void cancel_all(const std::string& reason);

 private:
  Prepared prepare_modern(const Request& request, const Envelope& envelope);
  Prepared prepare_legacy(const Request& request, const Envelope& envelope);
  Prepared initialize(const Request& request, const Envelope& envelope);
  Prepared dispatch(const Request& request, const Envelope& envelope, Era era, const std::string& version,
                    const boost::json::object& client_capabilities, const std::string& scope);
  Prepared tools_call(const Request& request, const Envelope& envelope, CallInfo info,
                      const std::string& scope);
  Reply list_reply(const Request& request, Era era, const std::string& key);
  Reply result_reply(const Request& request, Era era, boost::json::object result);
  void cancel_request(const Request& request, const std::string& scope);
  std::optional<std::string> legacy_frame_version(const Envelope& envelope) const;
  void count(Era era, const std::string& method);

  const ToolRegistry& tools_;
  SessionStore& sessions_;
  McpOptions options_;
  MetricsRegistry* metrics_;

  std::mutex mutex_;  // guards stdio_session_ and inflight_
  std::optional<SessionInfo> stdio_session_;
  std::map<std::string, std::weak_ptr<Cancellation>> inflight_;
};

// HTTP status and error body for a frame-level problem, e.g. a body that is not JSON.
Reply error_reply(int http_status, const boost::json::value& id, int code, std::string_view message,
                  std::optional<boost::json::value> data = std::nullopt);

}  // namespace nbs::mcpd
