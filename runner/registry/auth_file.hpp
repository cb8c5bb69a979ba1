// Registry credentials from a containers auth.json (the file `buildah login` and `podman login` write):
// {"auths": {"registry.example.com": {"auth": base64("user:password")}, …}}.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace nbs::runner::registry {

struct RegistryCredential {
  std::string username;
  std::string password;
  std::string identity_token;  // an OAuth2 refresh token, when the login gave one
};

class AuthFile {
 public:
  // Errors start with `origin` (the file path) and name the entry.
  static Result<AuthFile> parse(std::string_view json, std::string_view origin);
  static Result<AuthFile> load(const std::string& path);

  // The entry for `host` ("127.0.0.1:5000"), preferring the longest entry that is a path prefix of
  // host/repository ("ghcr.io/team" beats "ghcr.io"). Keys may carry a scheme or docker's "/v1/" suffix.
  std::optional<RegistryCredential> find(std::string_view host, std::string_view repository = {}) const;

  // Every password, token and encoded auth string, for masking.
  std::vector<std::string> secrets() const;

  bool empty() const { return entries_.empty(); }

 private:
  std::map<std::string, RegistryCredential> entries_;  // normalised key → credential
  std::vector<std::string> encoded_;                   // the raw "auth" values
};

// "https://registry.example.com/v1/" → "registry.example.com"; "ghcr.io/team/" → "ghcr.io/team".
std::string normalise_auth_key(std::string_view key);

}  // namespace nbs::runner::registry
