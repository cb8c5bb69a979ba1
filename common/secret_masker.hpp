// Replaces every occurrence of known secrets (tokens, passwords, key material) with "***" before text
// is printed or stored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nbs {

class SecretMasker {
 public:
  // Secrets shorter than k_min_length are ignored: masking every "a" would destroy the log and such a
  // value is no secret. Multi-line secrets (SSH keys) are also masked line by line.
  static constexpr std::size_t k_min_length = 4;

  void add(std::string_view secret);
  std::string mask(std::string_view text) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;  // longest first, so a secret containing another is masked whole
};

}  // namespace nbs
