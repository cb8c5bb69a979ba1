// The one place where an nbs::ErrorKind becomes an HTTP status and a wire body (REST error object, MCP
// isError tool result). A tool's error never becomes a JSON-RPC error code: MCP carries it as a result.
#pragma once

#include <boost/json.hpp>

#include "common/error.hpp"

namespace nbs::mcpd {

// invalid_argument 400, unauthorized 401, not_found 404, conflict 409, rate_limited 429,
// unavailable 503, timeout 504, internal 500.
int http_status(ErrorKind kind);

// {"error": message, "code": kind, "details": [{"field","reason"}, ...]} — the REST error body.
boost::json::object error_body(const Error& error);

// The REST body of a request refused for where it comes from (HTTP 403: its Host or Origin is not
// allowed): error_body() with code "forbidden". No ErrorKind names it: no tool ever answers 403.
boost::json::object forbidden_body(std::string_view message);

// The text of an isError result, all a client gets of the error: "<kind>: <message>" then one
// "<field>: <reason>" line per field; just "<kind>" on the first line when the message only joins the
// field lines (make_field_errors()).
std::string error_text(const Error& error);

}  // namespace nbs::mcpd
