// The small string helpers the whole tree shares. ASCII only: every use is a protocol token, a header,
// a config value or a file name, never prose.
#pragma once

#include <string>
#include <string_view>

namespace nbs {

// Without spaces, tabs, CRs and LFs at either end.
std::string_view trim(std::string_view text);

// ASCII letters in lower case, every other byte as it is.
std::string lower(std::string_view text);

// Percent-encodes every byte but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~): a query value
// or a path segment.
std::string url_encode(std::string_view text);

}  // namespace nbs
