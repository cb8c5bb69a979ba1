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

std::string describe(const Finding& finding, std::string_view file_name) {
  if (finding.line == 0) {
    return finding.message;
  }
  return std::string(file_name) + ":" + std::to_string(finding.line) + ": " + finding.message;
}

}  // namespace nbs::runner::dockerfile
