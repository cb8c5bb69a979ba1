// The part of a containers registries.conf (v2 TOML) the registry client needs: which registries are
// `insecure` (plain HTTP). The same file is handed to Buildah, so both agree.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace nbs::runner::registry {

struct InsecureRegistries {
  std::set<std::string> hosts;  // "127.0.0.1:5000"
  bool contains(std::string_view host) const { return hosts.contains(std::string(host)); }
};

// Reads [[registry]] tables with `location = "…"` and `insecure = true`; other keys are ignored.
InsecureRegistries parse_registries_conf(std::string_view toml);
// An empty path gives an empty set; an unreadable file is an error naming it.
Result<InsecureRegistries> load_registries_conf(const std::string& path);

}  // namespace nbs::runner::registry
