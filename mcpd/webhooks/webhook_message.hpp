// The headers of a webhook request: the fixed ones, the request's own (minus the ones the service
// owns) and the HMAC-SHA256 signature of the exact body.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_types.hpp"

namespace nbs::mcpd {

inline constexpr std::string_view k_signature_header = "X-Webhook-Signature";
inline constexpr std::string_view k_event_header = "X-Webhook-Event";
inline constexpr std::string_view k_delivery_header = "X-Webhook-Delivery";
inline constexpr std::string_view k_attempt_header = "X-Webhook-Attempt";

// Lower-case hex of HMAC-SHA256(key, data).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// "sha256=" + hmac_sha256_hex(secret, body).
std::string webhook_signature(std::string_view secret, std::string_view body);

// True for a header the service sets itself (Host, Content-Length, Content-Type, Transfer-Encoding,
// Connection, User-Agent and the four X-Webhook-* above): a custom header may not replace or duplicate it.
bool is_reserved_webhook_header(std::string_view name);

struct CustomHeaders {
  HttpHeaders kept;
  std::vector<std::string> rejected;  // "name: why", for the log
};

// The request's webhook_headers without reserved names and without names or values that are not valid
// in HTTP (the validator already refuses them; a stored record is checked again all the same).
CustomHeaders custom_webhook_headers(const std::map<std::string, std::string>& headers);

// Every header of a delivery but the attempt number and User-Agent (the client sets that one):
// Content-Type, X-Webhook-Event, X-Webhook-Delivery, the custom ones, and the signature when
// `secret` is not empty.
HttpHeaders webhook_headers(std::string_view event, std::string_view delivery_id, std::string_view body,
                            std::string_view secret, const HttpHeaders& custom);

}  // namespace nbs::mcpd
