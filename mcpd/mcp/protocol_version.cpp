#include "mcpd/mcp/protocol_version.hpp"

#include <algorithm>

namespace nbs::mcpd {

bool is_supported_version(std::string_view version) {
  return std::find(k_supported_versions.begin(), k_supported_versions.end(), version) !=
         k_supported_versions.end();
}

bool is_modern_version(std::string_view version) {
  return version == k_modern_version;
}

bool is_legacy_version(std::string_view version) {
  return is_supported_version(version) && !is_modern_version(version);
}

std::string negotiate_legacy_version(std::string_view requested) {
  return std::string(is_legacy_version(requested) ? requested : k_latest_legacy_version);
}

bool allows_batches(std::string_view version) {
  return version == "2025-03-26";
}

}  // namespace nbs::mcpd
