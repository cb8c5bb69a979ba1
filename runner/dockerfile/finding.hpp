// What the Dockerfile preflight reports: a problem Buildah would stop at, its class (which the build
// phase reports as the failure class) and the line it is on.
#pragma once

#include <string>
#include <string_view>

namespace nbs::runner::dockerfile {

enum class FindingClass {
  dockerfile_syntax,    // Buildah cannot read or run the Dockerfile as written
  copy_source_missing,  // a COPY/ADD source is not in the build context
};

std::string_view to_string(FindingClass kind);

struct Finding {
  FindingClass kind = FindingClass::dockerfile_syntax;
  int line = 0;         // 1-based; 0 when the finding is about the request (the target), not a line
  std::string message;  // without the file name: "unknown instruction FROMM (did you mean FROM?)"

  friend bool operator==(const Finding&, const Finding&) = default;
};

// Something the Dockerfile (or the job) says, as a message quotes it: at most 80 bytes, cut at a UTF-8
// character and marked "..." when longer. A finding is one line an agent reads, not a copy of the file.
std::string clip(std::string_view text);

// "Dockerfile:3: COPY source …" (the file name as the job names it), or the message alone for line 0.
std::string describe(const Finding& finding, std::string_view file_name);

}  // namespace nbs::runner::dockerfile
