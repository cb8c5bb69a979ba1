// Lower-case hex of bytes, and the SHA-256 of a text in that form: content digests ("sha256:<hex>"),
// names derived from a key (Git mirrors, build locks, storage run dirs), random ids.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace nbs {

std::string hex(std::span<const unsigned char> bytes);

std::string sha256_hex(std::string_view text);  // 64 characters

}  // namespace nbs
