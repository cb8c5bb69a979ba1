// HTTP authentication: bearer tokens from a token file, compared in constant time. (The Host and Origin
// checks are in mcpd/http/host_origin.hpp.)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace nbs::mcpd {

// The tokens allowed to call the daemon. File format: one token per line, either "<principal> <token>"
// or just "<token>" (its principal is then "token-<line number>"); blank lines and lines starting with
// '#' are ignored.
class TokenStore {
 public:
  // Fails (naming the file and line) if the file cannot be read, holds no token, or has a malformed line.
  static Result<TokenStore> load(const std::string& path);
  static Result<TokenStore> parse(std::string_view text, const std::string& origin);

  // The principal of `presented`, or nullopt. Compares SHA-256 digests with CRYPTO_memcmp against every
  // stored token, so the time taken does not depend on where a guess differs.
  std::optional<std::string> authenticate(std::string_view presented) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string principal;
    std::string digest;  // SHA-256 of the token
  };
  std::vector<Entry> entries_;
};

// The token of an "Authorization: Bearer <token>" header value, or nullopt.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace nbs::mcpd
