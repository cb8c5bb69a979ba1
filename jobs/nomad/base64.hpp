// Standard base64 (RFC 4648, with padding), as Nomad encodes []byte fields such as StreamFrame.Data.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nbs::jobs::nomad {

std::string base64_encode(std::string_view bytes);
// nullopt on a character outside the alphabet or a length that is not a multiple of 4.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace nbs::jobs::nomad
