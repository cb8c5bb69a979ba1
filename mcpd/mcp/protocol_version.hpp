// The MCP protocol revisions mcpd serves, split into the two eras that route differently:
// modern (2026-07-28, stateless, per-request _meta) and legacy (initialize handshake, sessions).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace nbs::mcpd {

enum class Era { legacy, modern };

inline constexpr std::string_view k_modern_version = "2026-07-28";
inline constexpr std::string_view k_latest_legacy_version = "2025-11-25";
// What a legacy HTTP request without an MCP-Protocol-Version header is assumed to speak.
inline constexpr std::string_view k_default_legacy_version = "2025-03-26";

// Newest first; the order server/discover and version errors list them in.
inline constexpr std::array<std::string_view, 4> k_supported_versions = {"2026-07-28", "2025-11-25",
                                                                         "2025-06-18", "2025-03-26"};

bool is_supported_version(std::string_view version);
bool is_legacy_version(std::string_view version);
bool is_modern_version(std::string_view version);

// The version to answer a legacy initialize with: the client's own when we speak it (some clients
// need their version echoed), otherwise our latest legacy revision.
std::string negotiate_legacy_version(std::string_view requested);

// JSON-RPC batches exist only in 2025-03-26 (removed in 2025-06-18).
bool allows_batches(std::string_view version);

}  // namespace nbs::mcpd
