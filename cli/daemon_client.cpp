#include "cli/daemon_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/http_client.hpp"
#include "common/http_url.hpp"
#include "common/text.hpp"

namespace nbs::cli {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::optional<ErrorKind> kind_for_code(std::string_view code) {
  for (auto kind :
       {ErrorKind::invalid_argument, ErrorKind::unauthorized, ErrorKind::not_found, ErrorKind::conflict,
        ErrorKind::rate_limited, ErrorKind::unavailable, ErrorKind::timeout, ErrorKind::internal}) {
    if (to_string(kind) == code) {
      return kind;
    }
  }
  return std::nullopt;
}

std::string string_field(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The daemon's error body: {"error", "code", "details": [{"field", "reason"}]}.
Error error_from_body(const json::object& body, int status) {
  Error error;
  error.kind = kind_for_code(string_field(body, "code")).value_or(error_kind_of_status(status));
  error.message = string_field(body, "error");
  if (const json::value* details = body.if_contains("details"); details != nullptr && details->is_array()) {
    for (const auto& d : details->get_array()) {
      if (d.is_object()) {
        error.fields.push_back(
            {string_field(d.get_object(), "field"), string_field(d.get_object(), "reason")});
      }
    }
  }
  return error;
}

std::string trimmed_base(std::string url) {
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

}  // namespace

Result<json::value> interpret_response(const HttpResponse& response, std::string_view what) {
  boost::system::error_code ec;
  json::value body = json::parse(response.body, ec);
  if (response.status >= 200 && response.status < 300) {
    if (ec) {
      return make_error(ErrorKind::internal,
                        std::string(what) + ": the daemon's answer is not JSON (" + ec.message() + ")");
    }
    return body;
  }
  if (!ec && body.is_object() && body.get_object().contains("error")) {
    Error error = error_from_body(body.get_object(), response.status);
    if (error.message.empty()) {
      error.message = std::string(what) + ": HTTP " + std::to_string(response.status);
    }
    return error;
  }
  std::string text = response.body.substr(0, 200);
  return make_error(
      error_kind_of_status(response.status),
      std::string(what) + ": HTTP " + std::to_string(response.status) + (text.empty() ? "" : ": " + text));
}

Result<DaemonClient> DaemonClient::create(const DaemonOptions& options) {
  if (auto target = parse_http_url(options.url); !target) {
    return make_error(ErrorKind::invalid_argument, "url: " + target.error().message);
  }
  HttpClientOptions http;
  http.tls.ca_file = options.ca_file;
  http.user_agent = "nbs/" NBS_VERSION;
  auto client = BlockingHttpClient::create(std::move(http));
  if (!client) {
    return client.error();
  }
  std::shared_ptr<BlockingHttpClient> shared = std::move(*client);
  return DaemonClient(options, [shared](const HttpRequest& request) { return shared->request(request); });
}

DaemonClient::DaemonClient(const DaemonOptions& options, HttpTransport transport)
    : base_url_(trimmed_base(options.url)), token_(options.token), transport_(std::move(transport)) {}

Result<json::value> DaemonClient::call(std::string_view tool, const json::object& body) const {
  HttpRequest request;
  request.method = "POST";
  request.url = base_url_ + "/mcp/" + std::string(tool);
  request.body = json::serialize(body);
  request.headers.emplace_back("Content-Type", "application/json");
  return send(std::move(request));
}

Result<json::value> DaemonClient::status(std::string_view job_id, int wait_seconds) const {
  HttpRequest request;
  request.url =
      base_url_ + "/mcp/job/" + url_encode(job_id) + "/status?wait_seconds=" + std::to_string(wait_seconds);
  // The daemon holds the answer back for up to wait_seconds.
  request.timeouts.read = std::chrono::seconds(wait_seconds) + 30s;
  return send(std::move(request));
}

Result<json::value> DaemonClient::logs(std::string_view job_id, const QueryParams& params) const {
  HttpRequest request;
  request.url = base_url_ + "/mcp/job/" + url_encode(job_id) + "/logs";
  char separator = '?';
  for (const auto& [key, value] : params) {
    request.url += separator + url_encode(key) + "=" + url_encode(value);
    separator = '&';
  }
  return send(std::move(request));
}

Result<json::value> DaemonClient::get(std::string_view path) const {
  HttpRequest request;
  request.url = base_url_ + std::string(path);
  return send(std::move(request));
}

Result<json::value> DaemonClient::send(HttpRequest request) const {
  request.headers.emplace_back("Accept", "application/json");
  if (!token_.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + token_);
  }
  const std::string what = request.method + " " + request.url.substr(base_url_.size());
  auto response = transport_(request);
  if (!response) {
    Error error = response.error();
    if (error.kind == ErrorKind::invalid_argument) {
      return make_error(ErrorKind::invalid_argument, "url: " + error.message);
    }
    const ErrorKind kind = error.kind == ErrorKind::timeout ? ErrorKind::timeout : ErrorKind::unavailable;
    // The HTTP client's messages usually name the URL already.
    const bool named = error.message.find(base_url_) != std::string::npos;
    return make_error(kind,
                      "cannot reach nbs-mcpd" + (named ? "" : " at " + base_url_) + ": " + error.message);
  }
  return interpret_response(*response, what);
}

}  // namespace nbs::cli
