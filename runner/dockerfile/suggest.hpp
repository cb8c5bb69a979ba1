// "Did you mean …?": the candidate closest to a misspelt word (an instruction, a stage name).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nbs::runner::dockerfile {

bool equal_ignoring_case(std::string_view a, std::string_view b);

// Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate `word` is most likely a typo of, case ignored: at most one edit away for words of up
// to four letters, two for longer ones; nullopt when none is that close or `word` is over 64 bytes.
std::optional<std::string> closest(std::string_view word, std::span<const std::string> candidates);

}  // namespace nbs::runner::dockerfile
