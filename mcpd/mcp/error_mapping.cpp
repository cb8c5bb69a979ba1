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

json::object error_body_schema() {
  return json::parse(R"({"type":"object","properties":{
    "error":{"type":"string"},"code":{"type":"string"},
    "details":{"type":"array","items":{"type":"object","properties":{
      "field":{"type":"string"},"reason":{"type":"string"}},"required":["field","reason"]}}},
    "required":["error","code","details"]})")
      .as_object();
}

std::string error_text(const Error& error) {
  std::string text = std::string(to_string(error.kind)) + ": " + error.message;
  for (const auto& field : error.fields) {
    text += '\n';
    text += field.path.empty() ? field.reason : field.path + ": " + field.reason;
  }
  return valid_utf8(text);
}

}  // namespace nbs::mcpd
