#include "runner/dockerfile/finding.hpp"

namespace nbs::runner::dockerfile {

std::string_view to_string(FindingClass kind) {
  switch (kind) {
    case FindingClass::dockerfile_syntax:
      return "dockerfile_syntax";
    case FindingClass::copy_source_missing:
      return "copy_source_missing";
  }
  return "dockerfile_syntax";
}

std::string clip(std::string_view text) {
  constexpr std::size_t k_max = 80;
  constexpr std::string_view k_cut = "...";
  if (text.size() <= k_max) {
    return std::string(text);
  }
  auto keep = k_max - k_cut.size();
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) {
    --keep;  // text[keep] continues a character: cut before that character
  }
  return std::string(text.substr(0, keep)) + std::string(k_cut);
}

std::string describe(const Finding& finding, std::string_view file_name) {
  if (finding.line == 0) {
    return finding.message;
  }
  return std::string(file_name) + ":" + std::to_string(finding.line) + ": " + finding.message;
}

}  // namespace nbs::runner::dockerfile
