#include "runner/registry/registries_conf.hpp"

#include <fstream>
#include <sstream>

#include "common/text.hpp"

namespace nbs::runner::registry {
namespace {

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    return std::string(v.substr(1, v.size() - 2));
  }
  return std::string(v);
}

}  // namespace

InsecureRegistries parse_registries_conf(std::string_view toml) {
  InsecureRegistries out;
  std::string location;
  bool insecure = false;
  bool in_registry = false;
  auto flush = [&] {
    if (in_registry && insecure && !location.empty()) {
      out.hosts.insert(location);
    }
    location.clear();
    insecure = false;
  };
  std::istringstream lines{std::string(toml)};
  for (std::string raw; std::getline(lines, raw);) {
    std::string_view line = trim(raw);
    if (auto hash = line.find('#');
        hash != std::string_view::npos && line.find('"') == std::string_view::npos) {
      line = trim(line.substr(0, hash));
    }
    if (line.empty()) {
      continue;
    }
    if (line.front() == '[') {
      flush();
      in_registry = line == "[[registry]]";
      continue;
    }
    auto eq = line.find('=');
    if (!in_registry || eq == std::string_view::npos) {
      continue;
    }
    auto key = trim(line.substr(0, eq));
    auto value = trim(line.substr(eq + 1));
    if (key == "location") {
      location = unquote(value);
    }
    if (key == "insecure") {
      insecure = value == "true";
    }
  }
  flush();
  return out;
}

Result<InsecureRegistries> load_registries_conf(const std::string& path) {
  if (path.empty()) {
    return InsecureRegistries{};
  }
  std::ifstream in(path);
  if (!in) {
    return make_error(ErrorKind::invalid_argument, "registries_conf: cannot read " + path);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return parse_registries_conf(s.str());
}

}  // namespace nbs::runner::registry
