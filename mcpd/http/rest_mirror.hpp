// The REST mirror of the tools (kept from the original server): POST /mcp/<tool> and /json/<tool> with
// a JSON object body, GET /mcp/job/<id>/status and /mcp/job/<id>/logs?... (same under /json/). Each
// maps to the same tool handler as MCP tools/call; this file only maps requests and responses. And
// GET /mcp/<tool>/schema, the tool's full input schema for clients that validate before they call.
#pragma once

#include <string_view>

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>

#include "common/error.hpp"
#include "mcpd/mcp/tool_registry.hpp"

namespace nbs::mcpd {

struct RestCall {
  const Tool* tool = nullptr;
  boost::json::object arguments;
};

struct RestResponse {
  int status = 200;
  boost::json::value body;
};

// POST /<prefix>/<tool_name>: the body must be a JSON object; the tool's rest_mapping (if any) turns it
// into arguments. Errors: not_found for an unknown tool, invalid_argument for a bad body.
Result<RestCall> rest_tool_call(const ToolRegistry& tools, std::string_view tool_name, std::string_view body);

// GET /<prefix>/job/<id>/<action>: "status" → getStatus, "logs" → getLogs, with {"job_id": id} plus the
// query parameters, converted to the types the tool's inputSchema declares (integer, number, boolean);
// "tail" is an alias of "tail_lines" and implies mode "tail" when the schema has a "mode" property.
Result<RestCall> rest_job_call(const ToolRegistry& tools, std::string_view job_id, std::string_view action,
                               const boost::urls::params_view& query);

// GET /<prefix>/<tool_name>/schema: 200 with the tool's full input schema (every rule its handler enforces;
// tools/list may advertise a shorter one), 404 for an unknown tool.
RestResponse rest_input_schema(const ToolRegistry& tools, std::string_view tool_name);

// 200 with the structured result (or {"text": ...} without one), or the error status and error body.
RestResponse rest_response(const Result<ToolResult>& outcome);
RestResponse rest_error(const Error& error);

}  // namespace nbs::mcpd
