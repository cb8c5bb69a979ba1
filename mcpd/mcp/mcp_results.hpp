// The bodies of the MCP results that do not come from tools: initialize, server/discover, the list
// methods, and the decorations every 2026-07-28 result carries (resultType, serverInfo, caching).
#pragma once

#include <string>

#include <boost/json.hpp>

#include "mcpd/mcp/protocol_version.hpp"

namespace nbs::mcpd {

struct ServerInfo {
  std::string name = "nbs-mcpd";
  std::string title = "Nomad Build Service";
  std::string version = "0.0.0";
  std::string instructions;  // sent when not empty
};

// How long modern clients may cache tools/list, prompts/list, resources/list and server/discover:
// the tool set is fixed for the life of the process and the same for every caller.
inline constexpr std::int64_t k_list_ttl_ms = 3'600'000;

boost::json::object server_capabilities();
boost::json::object server_info_json(const ServerInfo& info);

// {protocolVersion, capabilities, serverInfo, instructions?}
boost::json::object initialize_result(const ServerInfo& info, const std::string& protocol_version);

// {supportedVersions, capabilities, instructions?, ttlMs, cacheScope} (decorate() adds the rest).
boost::json::object discover_result(const ServerInfo& info);

// Adds resultType:"complete" and _meta["io.modelcontextprotocol/serverInfo"] to a modern result.
void decorate_modern(boost::json::object& result, const ServerInfo& info);

// Adds ttlMs and cacheScope:"public" (modern list results).
void add_cache_hints(boost::json::object& result);

// Opaque pagination cursors: an offset, encoded so clients do not rely on its shape.
std::string encode_cursor(std::size_t offset);
// Returns false for a cursor we did not issue.
bool decode_cursor(const std::string& cursor, std::size_t& offset);

}  // namespace nbs::mcpd
