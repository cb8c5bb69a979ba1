#include "mcpd/mcp/json_rpc.hpp"

namespace nbs::mcpd {
namespace json = boost::json;

namespace {

bool is_valid_id(const json::value& id) {
  return id.is_string() || id.is_int64() || id.is_uint64();
}

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

std::string to_wire(const json::value& message) {
  return json::serialize(message);
}

std::string id_key(const json::value& id) {
  return json::serialize(id);
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    // Length of the sequence `b` starts and the range its second byte must be in (RFC 3629 table).
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (b < 0x80) {
      len = 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
      len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      lo = b == 0xe0 ? 0xa0 : 0x80;
      hi = b == 0xed ? 0x9f : 0xbf;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      lo = b == 0xf0 ? 0x90 : 0x80;
      hi = b == 0xf4 ? 0x8f : 0xbf;
    }
    bool ok = len > 0 && i + len <= text.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      ok = k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xbf);
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      i += 1;
    }
  }
  return out;
}

}  // namespace nbs::mcpd
