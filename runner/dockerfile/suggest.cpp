#include "runner/dockerfile/suggest.hpp"

#include <algorithm>

#include "common/text.hpp"

namespace nbs::runner::dockerfile {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the optimal-string-alignment table: the previous two and the current one.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    previous[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> closest(std::string_view word, std::span<const std::string> candidates) {
  // The table is quadratic in the lengths, and the words come from the Dockerfile: a word longer than
  // any instruction or sensible stage name gets no suggestion, a candidate whose length is more edits
  // away than allowed is not compared.
  constexpr std::size_t k_max_word = 64;
  if (word.size() > k_max_word) {
    return std::nullopt;
  }
  const auto w = lower(word);
  const std::size_t allowed = w.size() <= 4 ? 1 : 2;
  std::optional<std::string> best;
  std::size_t best_distance = allowed + 1;
  for (const auto& c : candidates) {
    if (c.size() > w.size() + allowed || w.size() > c.size() + allowed) {
      continue;
    }
    const auto d = edit_distance(w, lower(c));
    if (d < best_distance && d < w.size()) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace nbs::runner::dockerfile
