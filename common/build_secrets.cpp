#include "common/build_secrets.hpp"

#include <algorithm>

#include "common/grammar.hpp"

namespace nbs {

namespace {

bool is_file_name(std::string_view s) {
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  };
  // No '/' at all, and a first character that is no '.': neither a path nor ".." can be named.
  return !s.empty() && s.size() <= 128 && s.front() != '.' && s.front() != '-' && s.front() != '_' &&
         std::all_of(s.begin(), s.end(), ok);
}

}  // namespace

std::optional<BuildSecretSource> parse_build_secret_source(std::string_view text) {
  if (text.starts_with("file:")) {
    const std::string_view name = text.substr(5);
    if (!is_file_name(name)) {
      return std::nullopt;
    }
    return BuildSecretSource{.kind = BuildSecretSource::Kind::file, .name = std::string(name)};
  }
  if (text.starts_with("vault:")) {
    const std::string_view rest = text.substr(6);
    const auto hash = rest.rfind('#');
    if (hash == std::string_view::npos || grammar::vault_path(rest.substr(0, hash)) ||
        grammar::vault_field(rest.substr(hash + 1))) {
      return std::nullopt;
    }
    return BuildSecretSource{.kind = BuildSecretSource::Kind::vault,
                             .path = std::string(rest.substr(0, hash)),
                             .field = std::string(rest.substr(hash + 1))};
  }
  return std::nullopt;
}

std::string BuildSecretEntry::file_name() const {
  return (ssh ? "ssh-" : "secret-") + secret->id;
}

std::vector<BuildSecretEntry> build_secret_entries(const JobRequest& request) {
  std::vector<BuildSecretEntry> out;
  for (std::size_t i = 0; i < request.build.secrets.size(); ++i) {
    out.push_back({&request.build.secrets[i], "build.secrets[" + std::to_string(i) + "]", false});
  }
  for (std::size_t i = 0; i < request.build.ssh.size(); ++i) {
    out.push_back({&request.build.ssh[i], "build.ssh[" + std::to_string(i) + "]", true});
  }
  return out;
}

}  // namespace nbs
