// The `WWW-Authenticate` challenge of a registry's 401 answer: `Basic realm="…"` or
// `Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a/b:pull"`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace nbs::runner::registry {

struct Challenge {
  std::string scheme;                         // lower case: "basic", "bearer"
  std::map<std::string, std::string> params;  // names lower case, values unquoted

  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

// nullopt when the header is empty or malformed. Only the first challenge is read.
std::optional<Challenge> parse_www_authenticate(std::string_view header);

}  // namespace nbs::runner::registry
