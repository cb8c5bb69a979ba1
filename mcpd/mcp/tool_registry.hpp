// The tools mcpd serves: their MCP description (name, schemas, annotations), their coroutine handler,
// and how the REST mirror turns a request body into arguments. Filled once at start-up, then read-only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include "common/error.hpp"
#include "mcpd/mcp/protocol_version.hpp"
#include "mcpd/mcp/rate_limiter.hpp"
#include "mcpd/mcp/tool_context.hpp"

namespace nbs::mcpd {

// What a successful call returns. `structured` becomes structuredContent (it must match the tool's
// outputSchema; an object in the legacy era) and, serialized, the text mirror unless `text` is set.
struct ToolResult {
  boost::json::value structured;
  std::string text;                                // optional human/model text; default: JSON of `structured`
  std::vector<boost::json::object> extra_content;  // more content blocks, e.g. resource_link
};

// Hints for clients (untrusted by them); unset hints, and those that only repeat a default, are not sent.
struct ToolAnnotations {
  std::optional<bool> read_only_hint;
  std::optional<bool> destructive_hint;
  std::optional<bool> idempotent_hint;
  std::optional<bool> open_world_hint;
};

// A tool's implementation. `arguments` and `ctx` stay valid until the coroutine finishes. Tool-level
// failures (invalid_argument with fields, not_found, conflict, ...) are returned as Error and reach the
// client as an isError result (MCP) or an error status (REST); never throw for them.
using ToolHandler = std::function<boost::asio::awaitable<Result<ToolResult>>(
    const boost::json::object& arguments, ToolContext& ctx)>;

// Maps a REST mirror body (POST /mcp/<tool>) to the tool's arguments, e.g. unwrapping
// {"job_config":{...}}. An Error here becomes a REST error response.
using RestMapping = std::function<Result<boost::json::object>(const boost::json::object& body)>;

struct Tool {
  std::string name;                  // ^[A-Za-z0-9_.-]{1,128}$, unique
  std::string title;                 // optional
  std::string description;           // written for a model: what it does, what to call next
  boost::json::object input_schema;  // JSON Schema object with "type":"object"
  // Every rule the handler enforces, for clients that validate before they call (GET /mcp/<tool>/schema),
  // when input_schema leaves limits out to stay short; empty = input_schema is the whole story.
  boost::json::object full_input_schema;
  boost::json::object output_schema;  // JSON Schema object with "type":"object"; empty = none
  ToolAnnotations annotations;
  ToolHandler handler;
  RestMapping rest_mapping;  // empty = the body is the arguments
  // Per-client limit on calls (see ToolRegistry::limit); null = unlimited.
  std::shared_ptr<RateLimiter> rate_limiter;
};

class ToolRegistry {
 public:
  // Adds a tool. Fails with invalid_argument (naming the field) for a bad or duplicate name, a schema
  // that is not an object schema, or a missing handler.
  Status add(Tool tool);

  // Puts the calls of tool `name` under `limiter`, per client (ToolContext::client_key), for every
  // transport. Fails with not_found when no such tool is registered.
  Status limit(std::string_view name, std::shared_ptr<RateLimiter> limiter);

  const Tool* find(std::string_view name) const;
  // In registration order, which is the order tools/list returns them in.
  const std::vector<Tool>& tools() const { return tools_; }

 private:
  std::vector<Tool> tools_;
};

// The tools/list entry for a tool.
boost::json::object describe_tool(const Tool& tool);

// Runs the handler, turning an escaping exception into an internal Error. A tool under a rate limit
// first takes a token of the caller's bucket: without one the call fails with rate_limited and
// ctx.retry_after() says how long to wait; a call refused as invalid_argument gives its token back.
boost::asio::awaitable<Result<ToolResult>> invoke_tool(const Tool& tool, const boost::json::object& arguments,
                                                       ToolContext& ctx);

// The CallToolResult for an outcome: success → structuredContent + text mirror; Error → isError result
// whose text (error_text()) names every field of the Error. An error has no structuredContent: it would
// have to match the tool's outputSchema (SDK v1 clients validate it on isError results too), and
// admitting the error shape in every outputSchema cost each tools/list ~2 KB for what the text says.
boost::json::object call_tool_result(const Result<ToolResult>& outcome);

bool is_valid_tool_name(std::string_view name);

}  // namespace nbs::mcpd
