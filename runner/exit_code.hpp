// The runner's exit codes (documented in runner/README.md). The final phase_end event carries the
// same number and starts its text with the name, so a reader of the log knows why a phase ended.
#pragma once

#include <string_view>

namespace nbs::runner {

enum class ExitCode : int {
  ok = 0,
  usage = 1,          // bad command line (CLI11)
  spec_invalid = 2,   // the spec (or job file) could not be read or failed validation
  git_failed = 10,    // fetch, ref resolution or checkout
  build_failed = 11,  // buildah bud failed (a RUN step, a missing base image, a bad Dockerfile)
  push_failed = 12,   // buildah push failed after its retries
  publish_failed = 13,
  cleanup_failed = 14,
  not_ready = 15,    // the node cannot build: doctor found a problem, or root without --allow-root
  test_failed = 16,  // `run` only: a test command failed
  killed = 20,       // SIGTERM/SIGINT stopped the phase
  deadline = 21,     // the spec's deadline passed
  internal = 70,
};

// "ok", "spec_invalid", "git_failed", …
std::string_view to_string(ExitCode code);

constexpr int to_int(ExitCode code) {
  return static_cast<int>(code);
}

}  // namespace nbs::runner
