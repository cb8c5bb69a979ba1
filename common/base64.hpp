// Base64 with the standard alphabet and padding (RFC 4648 §4): Nomad's []byte fields, registry auth
// files, HTTP Basic credentials.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nbs {

std::string base64_encode(std::string_view bytes);

// nullopt unless `text` is whole base64 (a multiple of 4 characters, padding only at the end).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace nbs
