// Fuzzes the Dockerfile preflight with arbitrary bytes as a Dockerfile, checked against an empty build
// context in both dialects (the first byte picks the dialect and a target): no crash, every finding
// on a line of the file (or 0, for the target), every instruction's lines in order, and a step plan
// whose stages add up to its total.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "runner/dockerfile/preflight.hpp"

namespace {

using namespace nbs::runner::dockerfile;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const int lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  PreflightOptions options{.target = (data[0] & 2) != 0 ? "build" : "",
                           .dialect = (data[0] & 1) != 0 ? Dialect::heredoc : Dialect::classic};
  auto file = parse(text, options.dialect);
  int previous = 0;
  for (const auto& ins : file.instructions) {
    check(ins.line > previous && ins.line <= ins.end_line && ins.end_line <= lines);
    previous = ins.end_line;
  }
  auto report = check_dockerfile(text, options, BuildContext{});
  int total = 0;
  for (const auto& f : report.findings) {
    check(f.line >= 0 && f.line <= lines && !f.message.empty());
  }
  for (const auto& s : report.plan.stages) {
    check(s.steps >= 1 && s.number >= 1 && s.number <= report.plan.stage_count);
    total += s.steps;
  }
  check(total == report.plan.total_steps);
  return 0;
}
