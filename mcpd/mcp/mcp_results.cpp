#include "mcpd/mcp/mcp_results.hpp"

#include <charconv>

namespace nbs::mcpd {
namespace json = boost::json;

namespace {
constexpr std::string_view k_cursor_prefix = "nbs-offset-";
}

json::object server_capabilities() {
  return json::object{{"tools", json::object{{"listChanged", false}}},
                      {"prompts", json::object{{"listChanged", false}}},
                      {"resources", json::object{{"subscribe", false}, {"listChanged", false}}}};
}

json::object server_info_json(const ServerInfo& info) {
  json::object out{{"name", info.name}, {"version", info.version}};
  if (!info.title.empty()) {
    out["title"] = info.title;
  }
  return out;
}

json::object initialize_result(const ServerInfo& info, const std::string& protocol_version) {
  json::object out{{"protocolVersion", protocol_version},
                   {"capabilities", server_capabilities()},
                   {"serverInfo", server_info_json(info)}};
  if (!info.instructions.empty()) {
    out["instructions"] = info.instructions;
  }
  return out;
}

json::object discover_result(const ServerInfo& info) {
  json::array versions;
  for (auto v : k_supported_versions) {
    versions.emplace_back(v);
  }
  json::object out{{"supportedVersions", std::move(versions)}, {"capabilities", server_capabilities()}};
  if (!info.instructions.empty()) {
    out["instructions"] = info.instructions;
  }
  add_cache_hints(out);
  return out;
}

void decorate_modern(json::object& result, const ServerInfo& info) {
  result["resultType"] = "complete";
  json::object meta;
  if (auto it = result.find("_meta"); it != result.end() && it->value().is_object()) {
    meta = it->value().get_object();
  }
  meta["io.modelcontextprotocol/serverInfo"] = server_info_json(info);
  result["_meta"] = std::move(meta);
}

void add_cache_hints(json::object& result) {
  result["ttlMs"] = k_list_ttl_ms;
  result["cacheScope"] = "public";
}

std::string encode_cursor(std::size_t offset) {
  return std::string(k_cursor_prefix) + std::to_string(offset);
}

bool decode_cursor(const std::string& cursor, std::size_t& offset) {
  if (!cursor.starts_with(k_cursor_prefix)) {
    return false;
  }
  std::string_view digits = std::string_view(cursor).substr(k_cursor_prefix.size());
  if (digits.empty()) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), offset);
  return ec == std::errc() && ptr == digits.data() + digits.size();
}

}  // namespace nbs::mcpd
