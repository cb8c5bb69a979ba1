#include "mcpd/mcp/tool_registry.hpp"

#include <cstdio>
#include <exception>

#include <boost/asio/use_awaitable.hpp>

#include "mcpd/mcp/error_mapping.hpp"

namespace nbs::mcpd {
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

bool is_object_schema(const json::object& schema) {
  auto it = schema.find("type");
  return it != schema.end() && it->value().is_string() && it->value().get_string() == "object";
}

// Only the hints that say something: a false readOnlyHint or idempotentHint is what their absence
// means, and destructiveHint and idempotentHint mean nothing for a read-only tool (MCP 2025-03-26 on).
// destructiveHint and openWorldHint default to true, so they are sent whatever their value: a client
// that reads a missing hint as false is not misled either.
json::object annotations_json(const ToolAnnotations& a) {
  json::object out;
  const bool read_only = a.read_only_hint.value_or(false);
  if (read_only) {
    out["readOnlyHint"] = true;
  } else {
    if (a.destructive_hint) {
      out["destructiveHint"] = *a.destructive_hint;
    }
    if (a.idempotent_hint.value_or(false)) {
      out["idempotentHint"] = true;
    }
  }
  if (a.open_world_hint) {
    out["openWorldHint"] = *a.open_world_hint;
  }
  return out;
}

}  // namespace

bool is_valid_tool_name(std::string_view name) {
  if (name.empty() || name.size() > 128) {
    return false;
  }
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

Status ToolRegistry::add(Tool tool) {
  std::vector<FieldError> errors;
  if (!is_valid_tool_name(tool.name)) {
    errors.push_back({"name", "must match ^[A-Za-z0-9_.-]{1,128}$, got '" + tool.name + "'"});
  } else if (find(tool.name) != nullptr) {
    errors.push_back({"name", "a tool named '" + tool.name + "' is already registered"});
  }
  if (!is_object_schema(tool.input_schema)) {
    errors.push_back({"input_schema", "must be a JSON Schema with \"type\":\"object\""});
  }
  if (!tool.output_schema.empty() && !is_object_schema(tool.output_schema)) {
    errors.push_back({"output_schema", "must be empty or a JSON Schema with \"type\":\"object\""});
  }
  if (!tool.handler) {
    errors.push_back({"handler", "is required"});
  }
  if (!errors.empty()) {
    return make_field_errors(std::move(errors));
  }
  tools_.push_back(std::move(tool));
  return {};
}

Status ToolRegistry::limit(std::string_view name, std::shared_ptr<RateLimiter> limiter) {
  for (auto& tool : tools_) {
    if (tool.name == name) {
      tool.rate_limiter = std::move(limiter);
      return {};
    }
  }
  return make_error(ErrorKind::not_found, "tool: no tool named '" + std::string(name) + "' to rate-limit");
}

const Tool* ToolRegistry::find(std::string_view name) const {
  for (const auto& tool : tools_) {
    if (tool.name == name) {
      return &tool;
    }
  }
  return nullptr;
}

json::object describe_tool(const Tool& tool) {
  json::object out;
  out["name"] = tool.name;
  if (!tool.title.empty()) {
    out["title"] = tool.title;
  }
  out["description"] = tool.description;
  out["inputSchema"] = tool.input_schema;
  if (!tool.output_schema.empty()) {
    out["outputSchema"] = tool.output_schema;
  }
  // The title is not repeated as annotations.title, where only 2025-03-26 clients look for it: a
  // display name, which a client without it takes from `name`.
  if (auto annotations = annotations_json(tool.annotations); !annotations.empty()) {
    out["annotations"] = std::move(annotations);
  }
  return out;
}

namespace {

asio::awaitable<Result<ToolResult>> run_handler(const Tool& tool, const json::object& arguments,
                                                ToolContext& ctx) {
  std::string failure;
  try {
    co_return co_await tool.handler(arguments, ctx);
  } catch (const ErrorException& e) {
    co_return e.error();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  co_return make_error(ErrorKind::internal, tool.name + ": " + failure);
}

// "submitJob: rate limit of 30 calls a minute (burst 10) reached for 127.0.0.1; retry in 2 s".
Error rate_limit_error(const Tool& tool, const ToolContext& ctx, std::chrono::milliseconds wait) {
  const RateLimiter& limiter = *tool.rate_limiter;
  char rate[32];
  std::snprintf(rate, sizeof rate, "%g", limiter.per_minute());
  const std::string& who = ctx.principal().empty() ? ctx.peer() : ctx.principal();
  std::string message = tool.name;
  message.append(": rate limit of ").append(rate).append(" calls a minute (burst ");
  message.append(std::to_string(limiter.burst())).append(") reached for ");
  message.append(who.empty() ? std::string("this client") : who);
  message.append("; retry in ").append(std::to_string((wait.count() + 999) / 1000)).append(" s");
  return make_error(ErrorKind::rate_limited, std::move(message));
}

}  // namespace

asio::awaitable<Result<ToolResult>> invoke_tool(const Tool& tool, const json::object& arguments,
                                                ToolContext& ctx) {
  if (tool.rate_limiter) {
    if (auto wait = tool.rate_limiter->try_acquire(ctx.client_key())) {
      ctx.set_retry_after(*wait);
      co_return rate_limit_error(tool, ctx, *wait);
    }
  }
  Result<ToolResult> outcome = co_await run_handler(tool, arguments, ctx);
  if (tool.rate_limiter && outcome.has_error() && outcome.error().kind == ErrorKind::invalid_argument) {
    tool.rate_limiter->refund(ctx.client_key());
  }
  co_return outcome;
}

json::object call_tool_result(const Result<ToolResult>& outcome) {
  json::object out;
  json::array content;
  if (outcome.has_error()) {
    const Error& error = outcome.error();
    content.push_back(json::object{{"type", "text"}, {"text", error_text(error)}});
    out["content"] = std::move(content);
    out["isError"] = true;
    return out;
  }
  const ToolResult& result = *outcome;
  std::string text = result.text.empty() ? json::serialize(result.structured) : result.text;
  content.push_back(json::object{{"type", "text"}, {"text", std::move(text)}});
  for (const auto& block : result.extra_content) {
    content.push_back(block);
  }
  out["content"] = std::move(content);
  if (!result.structured.is_null()) {
    out["structuredContent"] = result.structured;
  }
  return out;
}

}  // namespace nbs::mcpd
