#include "mcpd/json_rpc.hpp"

namespace nbs::mcpd {
namespace json = boost::json;

namespace {

bool is_valid_id(const json::value& id) { return id.is_string() || id.is_int64() || id.is_uint64(); }

json::value readable_id(const json::object& obj) {
  if (auto it = obj.find("id"); it != obj.end() && is_valid_id(it->value())) {
    return it->value();
  }
  return nullptr;
}

}  // namespace

Message classify_message(const json::value& value) {
  if (!value.is_object()) {
    return InvalidMessage{nullptr, "a message must be a JSON object"};
  }
  const auto& obj = value.get_object();
  auto version = obj.find("jsonrpc");
  if (version == obj.end() || !version->value().is_string() || version->value().get_string() != "2.0") {
    return InvalidMessage{readable_id(obj), "jsonrpc must be \"2.0\""};
  }
  auto id_it = obj.find("id");
  // A null id is not allowed by MCP; treat it as invalid rather than as a notification.
  if (id_it != obj.end() && !is_valid_id(id_it->value())) {
    return InvalidMessage{nullptr, "id must be a string or an integer"};
  }
  auto method = obj.find("method");
  if (method == obj.end()) {
    if (id_it != obj.end() && (obj.contains("result") || obj.contains("error"))) {
      return PeerResponse{id_it->value()};
    }
    return InvalidMessage{readable_id(obj), "method is required"};
  }
  if (!method->value().is_string()) {
    return InvalidMessage{readable_id(obj), "method must be a string"};
  }
  Request request;
  request.method = std::string(method->value().get_string());
  if (id_it != obj.end()) {
    request.id = id_it->value();
  }
  if (auto params = obj.find("params"); params != obj.end()) {
    if (!params->value().is_object()) {
      return InvalidMessage{readable_id(obj), "params must be an object"};
    }
    request.params = params->value().get_object();
  }
  return request;
}

ParsedFrame parse_frame(std::string_view bytes) {
  ParsedFrame frame;
  boost::system::error_code ec;
  json::value value = json::parse(bytes, ec);
  if (ec) {
    frame.parse_error = true;
    frame.parse_error_text = ec.message();
    return frame;
  }
  if (value.is_array()) {
    frame.is_batch = true;
    const auto& arr = value.get_array();
    if (arr.empty()) {
      frame.messages.emplace_back(InvalidMessage{nullptr, "an empty batch is not a request"});
    }
    for (const auto& element : arr) {
      frame.messages.push_back(classify_message(element));
    }
    return frame;
  }
  frame.messages.push_back(classify_message(value));
  return frame;
}

json::object make_result(const json::value& id, json::value result) {
  json::object out;
  out["jsonrpc"] = "2.0";
  out["id"] = id;
  out["result"] = std::move(result);
  return out;
}

json::object make_error_response(const json::value& id, int code, std::string_view message,
                                 std::optional<json::value> data) {
  json::object error;
  error["code"] = code;
  error["message"] = message;
  if (data) {
    error["data"] = std::move(*data);
  }
  json::object out;
  out["jsonrpc"] = "2.0";
  out["id"] = id;
  out["error"] = std::move(error);
  return out;
}

json::object make_notification(std::string_view method, json::object params) {
  json::object out;
  out["jsonrpc"] = "2.0";
  out["method"] = method;
  out["params"] = std::move(params);
  return out;
}

std::string to_wire(const json::value& message) { return json::serialize(message); }

std::string id_key(const json::value& id) { return json::serialize(id); }

}  // namespace nbs::mcpd
