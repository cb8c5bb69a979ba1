#include "mcpd/mcp/mcp_server.hpp"

#include <set>

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mcpd/mcp/client_key.hpp"

namespace nbs::mcpd {
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

constexpr std::string_view k_meta_version = "io.modelcontextprotocol/protocolVersion";
constexpr std::string_view k_meta_capabilities = "io.modelcontextprotocol/clientCapabilities";

const json::object* meta_of(const Request& request) {
  auto it = request.params.find("_meta");
  return (it != request.params.end() && it->value().is_object()) ? &it->value().get_object() : nullptr;
}

const json::value* find_key(const json::object* obj, std::string_view key) {
  if (obj == nullptr) {
    return nullptr;
  }
  auto it = obj->find(key);
  return it == obj->end() ? nullptr : &it->value();
}

json::array supported_versions_json() {
  json::array out;
  for (auto v : k_supported_versions) {
    out.emplace_back(v);
  }
  return out;
}

// The bounded set of method names used as a metrics label.
std::string method_label(const std::string& method) {
  static const std::set<std::string> k_known = {"initialize",
                                                "notifications/initialized",
                                                "notifications/cancelled",
                                                "ping",
                                                "server/discover",
                                                "tools/list",
                                                "tools/call",
                                                "prompts/list",
                                                "resources/list",
                                                "resources/templates/list"};
  return k_known.contains(method) ? method : "other";
}

// The header value that a modern request must repeat from its body (Mcp-Name), or nullopt.
std::optional<std::string> expected_name(const Request& request) {
  std::string_view key;
  if (request.method == "tools/call" || request.method == "prompts/get") {
    key = "name";
  } else if (request.method == "resources/read") {
    key = "uri";
  } else {
    return std::nullopt;
  }
  auto it = request.params.find(key);
  if (it == request.params.end() || !it->value().is_string()) {
    return std::string();
  }
  return std::string(it->value().get_string());
}

Reply header_mismatch(const Request& request, std::string_view header,
                      const std::optional<std::string>& actual, const std::string& expected) {
  json::object mismatch{{"header", header}, {"expected", expected}};
  mismatch["actual"] = actual ? json::value(valid_utf8(*actual)) : json::value(nullptr);
  std::string message = actual ? "the " + std::string(header) + " header does not match the request body"
                               : "the required " + std::string(header) + " header is absent";
  return error_reply(400, request.id.value_or(nullptr), rpc_code::k_header_mismatch, message,
                     json::object{{"mismatch", std::move(mismatch)}});
}

}  // namespace

Reply error_reply(int http_status, const json::value& id, int code, std::string_view message,
                  std::optional<json::value> data) {
  return Reply{http_status, make_error_response(id, code, message, std::move(data)), std::nullopt};
}

McpServer::McpServer(const ToolRegistry& tools, SessionStore& sessions, McpOptions options,
                     MetricsRegistry* metrics)
    : tools_(tools), sessions_(sessions), options_(std::move(options)), metrics_(metrics) {}

void McpServer::count(Era era, const std::string& method) {
  if (metrics_ != nullptr) {
    metrics_
        ->counter("nbs_mcp_requests_total", "MCP messages received, by era and method.", {"era", "method"})
        .inc({era == Era::modern ? "modern" : "legacy", method_label(method)});
  }
}

Prepared McpServer::prepare(const Message& message, const Envelope& envelope) {
  if (const auto* invalid = std::get_if<InvalidMessage>(&message)) {
    return error_reply(400, invalid->id, rpc_code::k_invalid_request, "Invalid Request: " + invalid->reason);
  }
  if (std::holds_alternative<PeerResponse>(message)) {
    return Reply{202, std::nullopt, std::nullopt};  // we never send requests; nothing to match
  }
  const auto& request = std::get<Request>(message);
  bool modern = find_key(meta_of(request), k_meta_version) != nullptr ||
                request.method == "server/discover" ||
                (envelope.protocol_version_header && is_modern_version(*envelope.protocol_version_header));
  return modern ? prepare_modern(request, envelope) : prepare_legacy(request, envelope);
}

Prepared McpServer::prepare_modern(const Request& request, const Envelope& envelope) {
  count(Era::modern, request.method);
  const json::value id = request.id.value_or(nullptr);
  const json::object* meta = meta_of(request);
  const json::value* version = find_key(meta, k_meta_version);
  if (version == nullptr || !version->is_string()) {
    return error_reply(400, id, rpc_code::k_invalid_params,
                       "Invalid params: _meta[\"io.modelcontextprotocol/protocolVersion\"] is required");
  }
  std::string requested(version->get_string());
  // Headers first: a header that disagrees with the body is a HeaderMismatch even when the body's
  // version is one we do not serve.
  if (envelope.transport == Transport::http) {
    if (envelope.protocol_version_header != requested) {
      return header_mismatch(request, "MCP-Protocol-Version", envelope.protocol_version_header, requested);
    }
    if (envelope.method_header != request.method) {
      return header_mismatch(request, "Mcp-Method", envelope.method_header, request.method);
    }
    if (auto name = expected_name(request); name && envelope.name_header != *name) {
      return header_mismatch(request, "Mcp-Name", envelope.name_header, *name);
    }
  }
  if (!is_modern_version(requested)) {
    return error_reply(400, id, rpc_code::k_unsupported_protocol_version,
                       "Unsupported protocol version: " + requested,
                       json::object{{"supported", supported_versions_json()}, {"requested", requested}});
  }
  const json::value* caps = find_key(meta, k_meta_capabilities);
  if (caps == nullptr || !caps->is_object()) {
    return error_reply(400, id, rpc_code::k_invalid_params,
                       "Invalid params: _meta[\"io.modelcontextprotocol/clientCapabilities\"] is required");
  }
  // Modern requests carry no session: cancellation can only reach calls of the same caller.
  std::string scope = envelope.transport == Transport::stdio ? "stdio" : "modern:" + envelope.principal;
  return dispatch(request, envelope, Era::modern, requested, caps->get_object(), scope);
}

std::optional<std::string> McpServer::legacy_frame_version(const Envelope& envelope) const {
  if (!envelope.protocol_version_header) {
    return std::string(k_default_legacy_version);
  }
  if (is_legacy_version(*envelope.protocol_version_header)) {
    return *envelope.protocol_version_header;
  }
  return std::nullopt;
}

Prepared McpServer::prepare_legacy(const Request& request, const Envelope& envelope) {
  count(Era::legacy, request.method);
  const json::value id = request.id.value_or(nullptr);
  if (request.method == "initialize") {
    return initialize(request, envelope);
  }
  std::string version;
  json::object capabilities;
  std::string scope;
  if (envelope.transport == Transport::stdio) {
    std::lock_guard lock(mutex_);
    version = stdio_session_ ? stdio_session_->protocol_version : std::string(k_latest_legacy_version);
    if (stdio_session_) {
      capabilities = stdio_session_->client_capabilities;
    }
    scope = "stdio";
  } else {
    if (envelope.protocol_version_header && !is_legacy_version(*envelope.protocol_version_header)) {
      const std::string requested = valid_utf8(*envelope.protocol_version_header);
      return error_reply(400, id, rpc_code::k_server_error,
                         "Bad Request: Unsupported protocol version: " + requested,
                         json::object{{"supported", supported_versions_json()}, {"requested", requested}});
    }
    if (envelope.session_id) {
      auto session = sessions_.touch(*envelope.session_id, envelope.principal);
      if (!session) {
        return error_reply(404, id, rpc_code::k_session_not_found, "Session not found");
      }
      version = session->protocol_version;
      capabilities = session->client_capabilities;
      scope = "session:" + session->id;
    } else {
      version = *legacy_frame_version(envelope);
      scope = "legacy:" + envelope.principal;
    }
  }
  if (request.method == "notifications/initialized") {
    if (envelope.transport == Transport::stdio) {
      std::lock_guard lock(mutex_);
      if (stdio_session_) {
        stdio_session_->initialized = true;
      }
    } else if (envelope.session_id) {
      sessions_.mark_initialized(*envelope.session_id);
    }
    return Reply{202, std::nullopt, std::nullopt};
  }
  if (request.method == "ping") {
    if (request.is_notification()) {
      return Reply{202, std::nullopt, std::nullopt};
    }
    return Reply{200, make_result(id, json::object{}), std::nullopt};
  }
  return dispatch(request, envelope, Era::legacy, version, capabilities, scope);
}

Prepared McpServer::initialize(const Request& request, const Envelope& envelope) {
  if (request.is_notification()) {
    return Reply{202, std::nullopt, std::nullopt};
  }
  const json::value& id = *request.id;
  auto requested = request.params.find("protocolVersion");
  if (requested == request.params.end() || !requested->value().is_string()) {
    return error_reply(200, id, rpc_code::k_invalid_params,
                       "Invalid params: protocolVersion must be a string",
                       json::object{{"supported", supported_versions_json()}});
  }
  std::string version = negotiate_legacy_version(requested->value().get_string());
  json::object capabilities;
  if (auto caps = request.params.find("capabilities");
      caps != request.params.end() && caps->value().is_object()) {
    capabilities = caps->value().get_object();
  }
  Reply reply{200, make_result(id, initialize_result(options_.server_info, version)), std::nullopt};
  if (envelope.transport == Transport::stdio) {
    std::lock_guard lock(mutex_);
    stdio_session_ = SessionInfo{"stdio", version, envelope.principal, capabilities, false};
  } else {
    reply.session_id =
        sessions_
            .create(version, envelope.principal, client_key(envelope.principal, envelope.peer), capabilities)
            .id;
  }
  return reply;
}

Prepared McpServer::dispatch(const Request& request, const Envelope& envelope, Era era,
                             const std::string& version, const json::object& client_capabilities,
                             const std::string& scope) {
  if (request.is_notification()) {
    if (request.method == "notifications/cancelled") {
      cancel_request(request, scope);
    }
    return Reply{202, std::nullopt, std::nullopt};
  }
  const std::string& m = request.method;
  if (m == "server/discover") {
    return result_reply(request, era, discover_result(options_.server_info));
  }
  if (m == "tools/list") {
    return list_reply(request, era, "tools");
  }
  if (m == "prompts/list" || m == "resources/list" || m == "resources/templates/list") {
    std::string key = m == "prompts/list"     ? "prompts"
                      : m == "resources/list" ? "resources"
                                              : "resourceTemplates";
    return list_reply(request, era, key);
  }
  if (m == "tools/call") {
    CallInfo info{envelope.principal,
                  era,
                  version,
                  client_capabilities,
                  std::nullopt,
                  envelope.transport == Transport::stdio ? std::string("stdio") : envelope.peer};
    if (const json::value* token = find_key(meta_of(request), "progressToken");
        token != nullptr && (token->is_string() || token->is_int64() || token->is_uint64())) {
      info.progress_token = *token;
    }
    return tools_call(request, envelope, std::move(info), scope);
  }
  // The modern era answers an unknown method with HTTP 404 as well.
  return error_reply(era == Era::modern ? 404 : 200, *request.id, rpc_code::k_method_not_found,
                     "Method not found");
}

Prepared McpServer::tools_call(const Request& request, const Envelope&, CallInfo info,
                               const std::string& scope) {
  const json::value& id = *request.id;
  auto name = request.params.find("name");
  if (name == request.params.end() || !name->value().is_string()) {
    return error_reply(200, id, rpc_code::k_invalid_params, "Invalid params: name must be a string");
  }
  const Tool* tool = tools_.find(name->value().get_string());
  if (tool == nullptr) {
    return error_reply(200, id, rpc_code::k_invalid_params,
                       "Unknown tool: " + std::string(name->value().get_string()));
  }
  json::object arguments;
  if (auto args = request.params.find("arguments");
      args != request.params.end() && !args->value().is_null()) {
    if (!args->value().is_object()) {
      return error_reply(200, id, rpc_code::k_invalid_params, "Invalid params: arguments must be an object");
    }
    arguments = args->value().get_object();
  }
  return PendingCall{tool, id, std::move(arguments), std::move(info), scope};
}

Reply McpServer::list_reply(const Request& request, Era era, const std::string& key) {
  const json::value& id = *request.id;
  std::size_t offset = 0;
  if (auto cursor = request.params.find("cursor");
      cursor != request.params.end() && !cursor->value().is_null()) {
    if (!cursor->value().is_string() || !decode_cursor(std::string(cursor->value().get_string()), offset)) {
      return error_reply(200, id, rpc_code::k_invalid_params, "Invalid params: unknown cursor");
    }
  }
  json::array items;
  std::size_t total = key == "tools" ? tools_.tools().size() : 0;
  if (offset > total) {
    return error_reply(200, id, rpc_code::k_invalid_params, "Invalid params: unknown cursor");
  }
  std::size_t end = std::min(total, offset + options_.page_size);
  for (std::size_t i = offset; i < end; ++i) {
    items.push_back(describe_tool(tools_.tools()[i]));
  }
  json::object result{{key, std::move(items)}};
  if (end < total) {
    result["nextCursor"] = encode_cursor(end);
  }
  if (era == Era::modern) {
    add_cache_hints(result);
  }
  return result_reply(request, era, std::move(result));
}

Reply McpServer::result_reply(const Request& request, Era era, json::object result) {
  if (era == Era::modern) {
    decorate_modern(result, options_.server_info);
  }
  return Reply{200, make_result(*request.id, std::move(result)), std::nullopt};
}

void McpServer::cancel_request(const Request& request, const std::string& scope) {
  auto id = request.params.find("requestId");
  if (id == request.params.end()) {
    return;
  }
  std::string reason = "notifications/cancelled";
  if (auto r = request.params.find("reason"); r != request.params.end() && r->value().is_string()) {
    reason += ": " + std::string(r->value().get_string());
  }
  std::shared_ptr<Cancellation> target;
  {
    std::lock_guard lock(mutex_);
    if (auto it = inflight_.find(scope + "|" + id_key(id->value())); it != inflight_.end()) {
      target = it->second.lock();
    }
  }
  if (target) {
    target->cancel(reason);
  }
}

void McpServer::cancel_all(const std::string& reason) {
  std::vector<std::shared_ptr<Cancellation>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, weak] : inflight_) {
      if (auto c = weak.lock()) {
        all.push_back(std::move(c));
      }
    }
  }
  for (auto& c : all) {
    c->cancel(reason);
  }
}

asio::awaitable<Reply> McpServer::run(PendingCall call, NotificationSink sink,
                                      std::shared_ptr<Cancellation> cancel) {
  if (!cancel) {
    cancel = std::make_shared<Cancellation>();
  }
  std::string key = call.cancel_scope + "|" + id_key(call.id);
  {
    std::lock_guard lock(mutex_);
    inflight_[key] = cancel;
  }
  Era era = call.info.era;
  ToolContext ctx(std::move(call.info), std::move(sink), cancel);
  Result<ToolResult> outcome = co_await invoke_tool(*call.tool, call.arguments, ctx);
  {
    std::lock_guard lock(mutex_);
    if (auto it = inflight_.find(key); it != inflight_.end() && it->second.lock() == cancel) {
      inflight_.erase(it);
    }
  }
  json::object result = call_tool_result(outcome);
  if (era == Era::modern) {
    decorate_modern(result, options_.server_info);
  }
  co_return Reply{200, make_result(call.id, std::move(result)), std::nullopt};
}

asio::awaitable<Reply> McpServer::handle_frame(std::string_view bytes, const Envelope& envelope,
                                               NotificationSink sink, std::shared_ptr<Cancellation> cancel) {
  ParsedFrame frame = parse_frame(bytes);
  if (frame.parse_error) {
    co_return error_reply(400, nullptr, rpc_code::k_parse_error, "Parse error: " + frame.parse_error_text);
  }
  if (!frame.is_batch) {
    Prepared prepared = prepare(frame.messages.front(), envelope);
    if (auto* reply = std::get_if<Reply>(&prepared)) {
      co_return std::move(*reply);
    }
    co_return co_await run(std::move(std::get<PendingCall>(prepared)), std::move(sink), std::move(cancel));
  }
  // Batches: only in 2025-03-26, whose requests carry no per-request _meta version.
  std::string version;
  if (envelope.transport == Transport::stdio) {
    std::lock_guard lock(mutex_);
    version = stdio_session_ ? stdio_session_->protocol_version : "";
  } else if (envelope.session_id) {
    auto session = sessions_.touch(*envelope.session_id, envelope.principal);
    version = session ? session->protocol_version : "";
  } else {
    version = legacy_frame_version(envelope).value_or("");
  }
  if (!allows_batches(version)) {
    co_return error_reply(400, nullptr, rpc_code::k_invalid_request,
                          "Invalid Request: JSON-RPC batches are not supported in protocol version " +
                              (version.empty() ? std::string("(none negotiated)") : version));
  }
  if (frame.messages.size() > options_.max_batch) {
    co_return error_reply(400, nullptr, rpc_code::k_invalid_request,
                          "Invalid Request: a batch may hold at most " + std::to_string(options_.max_batch) +
                              " messages, this one has " + std::to_string(frame.messages.size()));
  }
  // (Inline rather than a coroutine of its own: GCC 12 reports a false mismatched-new-delete for the
  // awaitable frame of a member coroutine inlined here.)
  json::array responses;
  std::size_t answer_bytes = 0;
  for (const auto& message : frame.messages) {
    const auto* request = std::get_if<Request>(&message);
    if (request && request->method == "initialize") {
      responses.push_back(make_error_response(request->id.value_or(nullptr), rpc_code::k_invalid_request,
                                              "Invalid Request: initialize must not be part of a batch"));
      continue;
    }
    // Notifications answer nothing, so they still run once the answer is full.
    if (answer_bytes >= options_.max_batch_answer_bytes && request && !request->is_notification()) {
      responses.push_back(make_error_response(*request->id, rpc_code::k_server_error,
                                              "Not run: the batch's answer reached its limit of " +
                                                  std::to_string(options_.max_batch_answer_bytes) +
                                                  " bytes; send this request again"));
      continue;
    }
    Prepared prepared = prepare(message, envelope);
    Reply reply;
    if (auto* r = std::get_if<Reply>(&prepared)) {
      reply = std::move(*r);
    } else {
      reply = co_await run(std::move(std::get<PendingCall>(prepared)), NotificationSink{}, nullptr);
    }
    if (reply.body) {
      answer_bytes += to_wire(*reply.body).size();
      responses.push_back(std::move(*reply.body));
    }
  }
  if (responses.empty()) {
    co_return Reply{202, std::nullopt, std::nullopt};
  }
  co_return Reply{200, json::value(std::move(responses)), std::nullopt};
}

}  // namespace nbs::mcpd
