#include "mcpd/webhooks/webhook_message.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <openssl/evp.h>

#include "common/digest.hpp"
#include "common/text.hpp"

namespace nbs::mcpd {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  std::size_t length = 0;
  // An empty key is legal for HMAC, but OpenSSL wants a non-null pointer for it.
  static const unsigned char k_empty = 0;
  const auto* key_bytes = key.empty() ? &k_empty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key_bytes, key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), mac.size(),
                &length) == nullptr) {
    return {};
  }
  return hex({mac.data(), length});
}

std::string webhook_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + hmac_sha256_hex(secret, body);
}

namespace {

bool is_token(std::string_view name) {
  constexpr std::string_view k_extra = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || k_extra.find(c) != std::string_view::npos;
  });
}

// Field values may not contain CR, LF or NUL (header injection) nor other controls but tab.
bool is_field_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

}  // namespace

bool is_reserved_webhook_header(std::string_view name) {
  static constexpr std::array<std::string_view, 10> k_reserved{
      "host",       "content-length",      "content-type",    "connection",         "transfer-encoding",
      "user-agent", "x-webhook-signature", "x-webhook-event", "x-webhook-delivery", "x-webhook-attempt"};
  return std::find(k_reserved.begin(), k_reserved.end(), lower(name)) != k_reserved.end();
}

CustomHeaders custom_webhook_headers(const std::map<std::string, std::string>& headers) {
  CustomHeaders out;
  for (const auto& [name, value] : headers) {
    if (!is_token(name)) {
      out.rejected.push_back(name + ": not a valid header name");
    } else if (is_reserved_webhook_header(name)) {
      out.rejected.push_back(name + ": set by the service itself");
    } else if (!is_field_value(value)) {
      out.rejected.push_back(name + ": value has control characters");
    } else {
      out.kept.emplace_back(name, value);
    }
  }
  return out;
}

HttpHeaders webhook_headers(std::string_view event, std::string_view delivery_id, std::string_view body,
                            std::string_view secret, const HttpHeaders& custom) {
  HttpHeaders out;
  out.emplace_back("Content-Type", "application/json");
  out.emplace_back(k_event_header, event);
  out.emplace_back(k_delivery_header, delivery_id);
  out.insert(out.end(), custom.begin(), custom.end());
  if (!secret.empty()) {
    out.emplace_back(k_signature_header, webhook_signature(secret, body));
  }
  return out;
}

}  // namespace nbs::mcpd
