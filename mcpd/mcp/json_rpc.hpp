// JSON-RPC 2.0 messages as MCP uses them: parsing one message or a batch from bytes, and building
// responses and error responses. Knows nothing about MCP methods or transports.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json.hpp>

namespace nbs::mcpd {

// The standard JSON-RPC error codes (MCP reserves -32020..-32099 for the spec's own codes).
namespace rpc_code {
inline constexpr int k_parse_error = -32700;
inline constexpr int k_invalid_request = -32600;
inline constexpr int k_method_not_found = -32601;
inline constexpr int k_invalid_params = -32602;
inline constexpr int k_internal_error = -32603;
// Legacy-era, implementation-defined range -32000..-32019.
inline constexpr int k_server_error = -32000;
inline constexpr int k_session_not_found = -32001;
// 2026-07-28 spec codes.
inline constexpr int k_header_mismatch = -32020;
inline constexpr int k_missing_client_capability = -32021;
inline constexpr int k_unsupported_protocol_version = -32022;
}  // namespace rpc_code

// A JSON-RPC request (with id) or notification (without id).
struct Request {
  std::optional<boost::json::value> id;  // string or integer; absent for a notification
  std::string method;
  boost::json::object params;  // absent params become an empty object

  bool is_notification() const { return !id.has_value(); }
};

// A response sent by the peer (we never send requests, so these are only acknowledged).
struct PeerResponse {
  boost::json::value id;
};

// A message that was valid JSON but not a valid JSON-RPC message: answered with -32600.
struct InvalidMessage {
  boost::json::value id;  // the id if one could be read, else null
  std::string reason;
};

using Message = std::variant<Request, PeerResponse, InvalidMessage>;

// The result of reading one transport frame (an HTTP body or a stdio line).
struct ParsedFrame {
  bool parse_error = false;      // not JSON at all → -32700
  std::string parse_error_text;  // what the JSON parser said
  bool is_batch = false;         // the frame was a JSON array
  std::vector<Message> messages;
};

// Parses one frame. An empty array is an invalid request (one InvalidMessage, is_batch true).
ParsedFrame parse_frame(std::string_view bytes);

// Classifies one already parsed JSON value as a JSON-RPC message.
Message classify_message(const boost::json::value& value);

// {"jsonrpc":"2.0","id":id,"result":result}
boost::json::object make_result(const boost::json::value& id, boost::json::value result);

// {"jsonrpc":"2.0","id":id,"error":{"code","message","data"?}}; id null when unknown.
boost::json::object make_error_response(const boost::json::value& id, int code, std::string_view message,
                                        std::optional<boost::json::value> data = std::nullopt);

// {"jsonrpc":"2.0","method":method,"params":params}
boost::json::object make_notification(std::string_view method, boost::json::object params);

// Compact serialization, the wire form on every transport.
std::string to_wire(const boost::json::value& message);

// `text` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD. For text from
// the wire that no JSON parser checked (header values, percent-decoded paths and queries) before it is
// quoted in an answer: Boost.JSON serializes strings byte for byte, so invalid UTF-8 would make the
// whole answer invalid JSON.
std::string valid_utf8(std::string_view text);

// A stable text key for a request id (used to match notifications/cancelled to a request).
std::string id_key(const boost::json::value& id);

}  // namespace nbs::mcpd
