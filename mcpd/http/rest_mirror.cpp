#include "mcpd/http/rest_mirror.hpp"

#include <charconv>

#include <boost/url/param.hpp>

#include "mcpd/mcp/error_mapping.hpp"

namespace nbs::mcpd {
namespace json = boost::json;

namespace {

// The JSON type the tool's inputSchema gives a property ("string" when unknown).
std::string property_type(const Tool& tool, std::string_view key) {
  auto props = tool.input_schema.find("properties");
  if (props == tool.input_schema.end() || !props->value().is_object()) {
    return "string";
  }
  auto prop = props->value().get_object().find(key);
  if (prop == props->value().get_object().end() || !prop->value().is_object()) {
    return "string";
  }
  auto type = prop->value().get_object().find("type");
  if (type == prop->value().get_object().end() || !type->value().is_string()) {
    return "string";
  }
  return std::string(type->value().get_string());
}

bool has_property(const Tool& tool, std::string_view key) {
  auto props = tool.input_schema.find("properties");
  return props != tool.input_schema.end() && props->value().is_object() &&
         props->value().get_object().contains(key);
}

Result<json::value> convert(const std::string& key, const std::string& value, const std::string& type) {
  if (type == "integer") {
    long long n = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || ptr != value.data() + value.size()) {
      return make_field_errors({{key, "must be an integer, got '" + value + "'"}});
    }
    return json::value(n);
  }
  if (type == "number") {
    boost::system::error_code ec;
    json::value v = json::parse(value, ec);
    if (ec || !v.is_number()) {
      return make_field_errors({{key, "must be a number, got '" + value + "'"}});
    }
    return v;
  }
  if (type == "boolean") {
    if (value == "true" || value == "1") {
      return json::value(true);
    }
    if (value == "false" || value == "0") {
      return json::value(false);
    }
    return make_field_errors({{key, "must be true or false, got '" + value + "'"}});
  }
  return json::value(value);
}

}  // namespace

Result<RestCall> rest_tool_call(const ToolRegistry& tools, std::string_view tool_name,
                                std::string_view body) {
  const Tool* tool = tools.find(tool_name);
  if (tool == nullptr) {
    return make_error(ErrorKind::not_found, "tool: no tool named '" + std::string(tool_name) + "'");
  }
  json::object object;
  if (!body.empty()) {
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (ec) {
      return make_field_errors({{"", "body: not valid JSON (" + ec.message() + ")"}});
    }
    if (!parsed.is_object()) {
      return make_field_errors({{"", "body: must be a JSON object"}});
    }
    object = std::move(parsed.get_object());
  }
  if (!tool->rest_mapping) {
    return RestCall{tool, std::move(object)};
  }
  auto arguments = tool->rest_mapping(object);
  if (!arguments) {
    return arguments.error();
  }
  return RestCall{tool, std::move(*arguments)};
}

Result<RestCall> rest_job_call(const ToolRegistry& tools, std::string_view job_id, std::string_view action,
                               const boost::urls::params_view& query) {
  std::string_view tool_name = action == "status"      ? "getStatus"
                               : action == "logs"      ? "getLogs"
                               : action == "artifacts" ? "getArtifacts"
                                                       : "";
  if (tool_name.empty()) {
    return make_error(ErrorKind::not_found, "path: unknown job action '" + std::string(action) + "'");
  }
  const Tool* tool = tools.find(tool_name);
  if (tool == nullptr) {
    return make_error(ErrorKind::not_found, "tool: no tool named '" + std::string(tool_name) + "'");
  }
  json::object arguments;
  arguments["job_id"] = job_id;
  std::vector<FieldError> errors;
  for (auto param : query) {
    std::string key = param.key;
    if (key == "tail") {
      key = "tail_lines";
      if (has_property(*tool, "mode") && !query.contains("mode")) {
        arguments["mode"] = "tail";
      }
    }
    if (key == "job_id") {
      errors.push_back({key, "is taken from the path"});
      continue;
    }
    if (param.value.empty() && !param.has_value) {
      continue;
    }
    auto value = convert(key, param.value, property_type(*tool, key));
    if (!value) {
      Error error = value.error();  // result::error() returns a copy
      errors.insert(errors.end(), error.fields.begin(), error.fields.end());
      continue;
    }
    arguments[key] = std::move(*value);
  }
  if (!errors.empty()) {
    return make_field_errors(std::move(errors));
  }
  return RestCall{tool, std::move(arguments)};
}

RestResponse rest_input_schema(const ToolRegistry& tools, std::string_view tool_name) {
  const Tool* tool = tools.find(tool_name);
  if (tool == nullptr) {
    return rest_error(
        make_error(ErrorKind::not_found, "tool: no tool named '" + std::string(tool_name) + "'"));
  }
  return RestResponse{200, tool->full_input_schema.empty() ? tool->input_schema : tool->full_input_schema};
}

RestResponse rest_error(const Error& error) {
  return RestResponse{http_status(error.kind), error_body(error)};
}

RestResponse rest_response(const Result<ToolResult>& outcome) {
  if (outcome.has_error()) {
    return rest_error(outcome.error());
  }
  if (!outcome->structured.is_null()) {
    return RestResponse{200, outcome->structured};
  }
  return RestResponse{200, json::object{{"text", outcome->text}}};
}

}  // namespace nbs::mcpd
