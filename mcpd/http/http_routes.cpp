#include "mcpd/http/http_routes.hpp"

#include <charconv>

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <boost/url/parse.hpp>

#include "mcpd/http/host_origin.hpp"
#include "mcpd/mcp/error_mapping.hpp"
#include "mcpd/mcp/json_rpc.hpp"

namespace nbs::mcpd {
namespace json = boost::json;

namespace {

// A request refused from its header alone: a JSON-RPC error on /mcp (clients parse it as such),
// `rest_body` elsewhere. Never kept alive, since a body that is not read may follow.
HttpResponse refusal(unsigned status, const RouteMatch& route, const json::object& rest_body,
                     const std::string& rpc_message, unsigned version) {
  if (route.route == Route::mcp) {
    // The message may quote header values (Host, Origin); error_body() makes the REST one valid UTF-8.
    return json_response(status,
                         make_error_response(nullptr, rpc_code::k_server_error, valid_utf8(rpc_message)),
                         version, false);
  }
  return json_response(status, rest_body, version, false);
}

HttpResponse forbidden(const RouteMatch& route, const std::string& message, unsigned version) {
  return refusal(403, route, forbidden_body(message), message, version);
}

// "Application/JSON; charset=utf-8" → "application/json".
std::string media_type(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  return boost::algorithm::to_lower_copy(boost::algorithm::trim_copy(std::string(content_type)));
}

// POST bodies are JSON. Anything else (a form, text/plain) is what a page on another site may send
// without a CORS preflight.
std::optional<HttpResponse> check_content_type(
    const http::request_parser<http::string_body>::value_type& header, const RouteMatch& route) {
  auto field = header.find(http::field::content_type);
  if (field != header.end() && media_type(field->value()) == "application/json") {
    return std::nullopt;
  }
  std::string got = field == header.end() ? "" : ", got '" + std::string(field->value()) + "'";
  std::string reason =
      field == header.end() ? "is required and must be application/json" : "must be application/json" + got;
  return refusal(415, route, error_body(make_field_errors({{"content-type", reason}})),
                 "Unsupported Media Type: Content-Type must be application/json" + got, header.version());
}

bool method_allowed(Route route, http::verb method, std::string& allow) {
  switch (route) {
    case Route::mcp:
      allow = "GET, POST, DELETE";
      return method == http::verb::get || method == http::verb::post || method == http::verb::delete_;
    case Route::rest_tool:
      allow = "POST";
      return method == http::verb::post;
    case Route::health:
    case Route::ready:
    case Route::metrics:
    case Route::rest_job:
    case Route::rest_schema:
      allow = "GET";
      return method == http::verb::get;
    default:
      return true;
  }
}

}  // namespace

bool bound_to_loopback(const HttpOptions& options) {
  return is_loopback_host(options.host);
}

RouteMatch match_route(std::string_view target, const ToolRegistry& tools) {
  RouteMatch m;
  m.label = "other";
  auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    return m;
  }
  std::vector<std::string> segments;
  for (auto s : url->segments()) {
    segments.push_back(s);
  }
  std::string path = url->path();
  if (path == "/mcp" || path == "/mcp/") {
    m.route = Route::mcp;
    m.label = "/mcp";
  } else if (path == "/health") {
    m.route = Route::health;
    m.label = "/health";
  } else if (path == "/ready") {
    m.route = Route::ready;
    m.label = "/ready";
  } else if (path == "/metrics") {
    m.route = Route::metrics;
    m.label = "/metrics";
  } else if (path.starts_with("/.well-known/")) {
    m.route = Route::well_known;
  } else if (!segments.empty() && (segments[0] == "mcp" || segments[0] == "json")) {
    if (segments.size() == 2 && !segments[1].empty()) {
      m.route = Route::rest_tool;
      m.tool = segments[1];
      m.label = tools.find(m.tool) ? "/rest/" + m.tool : "/rest/unknown";
    } else if (segments.size() == 3 && !segments[1].empty() && segments[2] == "schema") {
      m.route = Route::rest_schema;
      m.tool = segments[1];
      m.label = "/rest/schema";
    } else if (segments.size() == 4 && segments[1] == "job" && !segments[2].empty() &&
               (segments[3] == "status" || segments[3] == "logs" || segments[3] == "artifacts")) {
      m.route = Route::rest_job;
      m.job_id = segments[2];
      m.action = segments[3];
      m.label = "/rest/job/" + m.action;
    }
  }
  return m;
}

std::optional<HttpResponse> check_header(const http::request_parser<http::string_body>::value_type& header,
                                         const RouteMatch& route, const HttpOptions& options,
                                         const HttpServices& services, std::string& principal) {
  unsigned version = header.version();
  // Two Host or Origin headers: a proxy in front may read the other one than we check (RFC 9112 §3.2).
  if (header.count(http::field::host) > 1) {
    return rest_error_response(make_error(ErrorKind::invalid_argument, "host: more than one Host header"),
                               version, false);
  }
  std::string_view host = header[http::field::host];
  if (!host_allowed(host, options.allowed_hosts, bound_to_loopback(options))) {
    return forbidden(route, "Invalid Host: " + std::string(host), version);
  }
  if (auto origin = header.find(http::field::origin); origin != header.end()) {
    if (header.count(http::field::origin) > 1) {
      return forbidden(route, "Invalid Origin: more than one Origin header", version);
    }
    if (!origin_allowed(origin->value(), options.allowed_origins)) {
      return forbidden(route, "Invalid Origin: " + origin_host(origin->value()), version);
    }
  }
  if (services.tokens != nullptr && route.route != Route::health && route.route != Route::well_known) {
    auto token = bearer_token(header[http::field::authorization]);
    auto who = token ? services.tokens->authenticate(*token) : std::nullopt;
    if (!who) {
      const std::string message =
          token ? "Unauthorized: invalid bearer token" : "Unauthorized: bearer token required";
      HttpResponse res =
          refusal(401, route, error_body(make_error(ErrorKind::unauthorized, message)), message, version);
      res.set(http::field::www_authenticate,
              token ? "Bearer realm=\"nbs-mcpd\", error=\"invalid_token\"" : "Bearer realm=\"nbs-mcpd\"");
      return res;
    }
    principal = *who;
  }
  if (route.route == Route::not_found || route.route == Route::well_known) {
    return rest_error_response(
        make_error(ErrorKind::not_found, "path: no route for " + std::string(header.target())), version,
        false);
  }
  std::string allow;
  if (!method_allowed(route.route, header.method(), allow)) {
    HttpResponse res =
        rest_error_response(make_error(ErrorKind::invalid_argument,
                                       "method: " + std::string(header.method_string()) + " is not allowed"),
                            version, false);
    res.result(http::status::method_not_allowed);
    res.set(http::field::allow, allow);
    return res;
  }
  if (auto length = header.find(http::field::content_length); length != header.end()) {
    std::string_view v = length->value();
    std::uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || ptr != v.data() + v.size()) {
      return rest_error_response(make_error(ErrorKind::invalid_argument, "content-length: not a number"),
                                 version, false);
    }
    if (n > options.max_body_bytes) {
      HttpResponse res = rest_error_response(
          make_field_errors({{"body", "is " + std::to_string(n) + " bytes, more than the limit of " +
                                          std::to_string(options.max_body_bytes)}}),
          version, false);
      res.result(http::status::payload_too_large);
      return res;
    }
  }
  if (header.method() == http::verb::post) {
    return check_content_type(header, route);
  }
  return std::nullopt;
}

HttpResponse text_response(unsigned status, std::string body, std::string_view content_type, unsigned version,
                           bool keep_alive) {
  HttpResponse res{static_cast<http::status>(status), version};
  res.set(http::field::server, "nbs-mcpd");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponse json_response(unsigned status, const json::value& body, unsigned version, bool keep_alive) {
  return text_response(status, json::serialize(body), "application/json", version, keep_alive);
}

HttpResponse limit_response(const Error& error, const RouteMatch& route, unsigned version) {
  HttpResponse res = refusal(static_cast<unsigned>(http_status(error.kind)), route, error_body(error),
                             error.message, version);
  res.set(http::field::retry_after, "1");
  return res;
}

HttpResponse rest_error_response(const Error& error, unsigned version, bool keep_alive) {
  return json_response(static_cast<unsigned>(http_status(error.kind)), error_body(error), version,
                       keep_alive);
}

HttpResponse health_response(unsigned version, bool keep_alive) {
  return json_response(200, json::object{{"status", "ok"}, {"version", NBS_VERSION}}, version, keep_alive);
}

std::optional<HttpResponse> check_limits(ConnectionTicket* ticket, const RouteMatch& route,
                                         const std::string& principal, unsigned version) {
  if (ticket == nullptr) {
    return std::nullopt;
  }
  if (const auto& why = ticket->limited()) {
    if (route.route == Route::health || route.route == Route::ready || route.route == Route::metrics) {
      return std::nullopt;
    }
    return limit_response(*why, route, version);
  }
  if (principal.empty()) {
    return std::nullopt;
  }
  if (auto claimed = ticket->claim(principal); !claimed) {
    return limit_response(claimed.error(), route, version);
  }
  return std::nullopt;
}

void count_request(MetricsRegistry& metrics, const std::string& route, unsigned status,
                   std::chrono::steady_clock::duration took) {
  metrics.counter("nbs_http_requests_total", "HTTP requests by route and status code.", {"route", "code"})
      .inc({route, std::to_string(status)});
  metrics
      .histogram("nbs_http_request_duration_seconds",
                 "HTTP request duration (whole stream for SSE), by route.", {"route"},
                 default_duration_buckets())
      .observe({route}, std::chrono::duration<double>(took).count());
}

// Built outside the connection's coroutine: GCC 12 miscompiles initializer lists of string literals in
// coroutines.
HttpResponse ready_response(const Status& status, unsigned version, bool keep_alive) {
  if (status) {
    return json_response(200, json::object{{"status", "ready"}}, version, keep_alive);
  }
  return json_response(503, json::object{{"status", "unavailable"}, {"error", status.error().message}},
                       version, keep_alive);
}

HttpResponse metrics_response(const MetricsRegistry& metrics, unsigned version, bool keep_alive) {
  return text_response(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8", version,
                       keep_alive);
}

}  // namespace nbs::mcpd
