// The HTTP routes of nbs-mcpd and the checks made on a request header before its body is read:
// Host, Origin, bearer token, Content-Length, method. Also the plain JSON responses of the small routes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "mcpd/http/connection_limits.hpp"
#include "mcpd/http/http_context.hpp"

namespace nbs::mcpd {

namespace http = boost::beast::http;

using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

enum class Route { mcp, health, ready, metrics, rest_tool, rest_job, rest_schema, well_known, not_found };

struct RouteMatch {
  Route route = Route::not_found;
  std::string tool;    // rest_tool, rest_schema: the tool name
  std::string job_id;  // rest_job
  std::string action;  // rest_job: "status" or "logs"
  std::string label;   // bounded metrics label: "/mcp", "/health", "/rest/<tool>", "other", ...
};

// Classifies a request target ("/mcp", "/json/getStatus", "/mcp/job/abc/logs?tail=5", ...).
RouteMatch match_route(std::string_view target, const ToolRegistry& tools);

// Everything decided from the header alone: Host, Origin, token, route, method, Content-Type of a POST
// (application/json, else 415) and Content-Length. Returns a response to send (after which the connection
// is closed) or nullopt to go on; `principal` receives the authenticated caller.
std::optional<HttpResponse> check_header(const http::request_parser<http::string_body>::value_type& header,
                                         const RouteMatch& route, const HttpOptions& options,
                                         const HttpServices& services, std::string& principal);

// The limits on a connection that has passed check_header (null `ticket`: none). A reserve connection
// answers only /health, /ready and /metrics; a full one counts against its principal. Returns the
// refusal to send (limit_response), or nullopt to go on.
std::optional<HttpResponse> check_limits(ConnectionTicket* ticket, const RouteMatch& route,
                                         const std::string& principal, unsigned version);

// Counts a request in nbs_http_requests_total and its duration (the whole stream for SSE).
void count_request(MetricsRegistry& metrics, const std::string& route, unsigned status,
                   std::chrono::steady_clock::duration took);

// A response with a JSON body and the usual headers.
HttpResponse json_response(unsigned status, const boost::json::value& body, unsigned version,
                           bool keep_alive);
HttpResponse text_response(unsigned status, std::string body, std::string_view content_type, unsigned version,
                           bool keep_alive);

// A connection refused by a limit (rate_limited 429, unavailable 503): the error as a JSON-RPC error on
// /mcp or an error body elsewhere, with Retry-After, not kept alive.
HttpResponse limit_response(const Error& error, const RouteMatch& route, unsigned version);

// A REST-style error body {"error","code","details"} with the status from error_mapping.
HttpResponse rest_error_response(const Error& error, unsigned version, bool keep_alive);

// GET /health: {"status":"ok","version":...}.
HttpResponse health_response(unsigned version, bool keep_alive);
// GET /ready: {"status":"ready"}, or 503 {"status":"unavailable","error":...} when `status` failed.
HttpResponse ready_response(const Status& status, unsigned version, bool keep_alive);
// GET /metrics: the registry in Prometheus text format.
HttpResponse metrics_response(const MetricsRegistry& metrics, unsigned version, bool keep_alive);

bool bound_to_loopback(const HttpOptions& options);

}  // namespace nbs::mcpd
