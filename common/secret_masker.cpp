#include "common/secret_masker.hpp"

#include <algorithm>

#include "common/text.hpp"

namespace nbs {

namespace {}  // namespace

void SecretMasker::add(std::string_view secret) {
  auto add_one = [this](std::string_view s) {
    if (s.size() >= k_min_length && std::find(secrets_.begin(), secrets_.end(), s) == secrets_.end()) {
      secrets_.emplace_back(s);
    }
  };
  add_one(secret);
  std::size_t start = 0;
  while (start < secret.size()) {
    std::size_t end = secret.find('\n', start);
    if (end == std::string_view::npos) {
      end = secret.size();
    }
    if (end - start < secret.size()) {
      add_one(trim(secret.substr(start, end - start)));
    }
    start = end + 1;
  }
  std::sort(secrets_.begin(), secrets_.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string SecretMasker::mask(std::string_view text) const {
  std::string out(text);
  for (const auto& secret : secrets_) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return out;
}

}  // namespace nbs
