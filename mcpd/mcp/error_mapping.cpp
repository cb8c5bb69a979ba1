#include "mcpd/mcp/error_mapping.hpp"

#include "mcpd/mcp/json_rpc.hpp"

namespace nbs::mcpd {
namespace json = boost::json;

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_argument:
      return 400;
    case ErrorKind::unauthorized:
      return 401;
    case ErrorKind::not_found:
      return 404;
    case ErrorKind::conflict:
      return 409;
    case ErrorKind::unavailable:
      return 503;
    case ErrorKind::timeout:
      return 504;
    case ErrorKind::rate_limited:
      return 429;
    case ErrorKind::internal:
      return 500;
  }
  return 500;
}

// Messages may quote percent-decoded paths and query strings, which no JSON parser has checked.
json::object error_body(const Error& error) {
  json::array details;
  for (const auto& field : error.fields) {
    details.push_back(json::object{{"field", valid_utf8(field.path)}, {"reason", valid_utf8(field.reason)}});
  }
  return json::object{
      {"error", valid_utf8(error.message)}, {"code", to_string(error.kind)}, {"details", std::move(details)}};
}

json::object forbidden_body(std::string_view message) {
  return json::object{{"error", valid_utf8(message)}, {"code", "forbidden"}, {"details", json::array()}};
}

std::string error_text(const Error& error) {
  std::string lines;
  std::string joined;  // what make_field_errors() makes the message of
  for (const auto& field : error.fields) {
    const std::string line = field.path.empty() ? field.reason : field.path + ": " + field.reason;
    lines += '\n' + line;
    joined += (joined.empty() ? "" : "; ") + line;
  }
  std::string text(to_string(error.kind));
  // A message that only joins the field lines would say each of them twice.
  if (error.fields.empty() || error.message != joined) {
    text += ": " + error.message;
  }
  return valid_utf8(text + lines);
}

}  // namespace nbs::mcpd
