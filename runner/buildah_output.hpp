// Reads Buildah's output as it streams: `STEP n/m:` lines (`[i/k] STEP n/m:` in multi-stage builds)
// become progress steps, `--> Using cache` lines are counted, and the lines of the current step are
// kept so that a failure can quote them. With the preflight's step plan, each step also gets its
// number across the whole build (Buildah counts per stage) and its stage's name, and the LABEL steps
// Buildah adds after the Dockerfile's own for `--label` (the image's provenance) are neither progress
// nor steps of the build.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "common/phase_log.hpp"
#include "runner/dockerfile/step_plan.hpp"

namespace nbs::runner {

struct StepLine {
  int step = 0;
  int steps = 0;
  int stage = 0;  // 0 in a single-stage build
  int stages = 0;
  std::string instruction;  // "RUN make"
  // Across the build: step k of n and the stage's label ("builder", or "2" for an unnamed stage).
  // Without a plan, Buildah's own numbers and no label.
  int overall_step = 0;
  int overall_steps = 0;
  std::string stage_label;
  int line = 0;  // the step's line in the Dockerfile, from the plan; 0 when unknown
};

// The text of a step event: "[builder] RUN make"; without a label, Buildah's "[2/3] RUN make".
std::string step_event_text(const StepLine& step);

// nullopt unless the line is a step header.
std::optional<StepLine> parse_step_line(std::string_view line);

bool is_cache_hit(std::string_view line);  // "--> Using cache <id>"

// The exit status named by Buildah's final error line (`Error: building at STEP "RUN …": exit status 3`).
std::optional<int> parse_failed_exit_status(std::string_view line);

// What follows Buildah's last "Error: " in `output`, up to the end of that line; empty if none.
std::string buildah_error_line(std::string_view output);

class BuildOutputTracker {
 public:
  static constexpr std::size_t k_max_excerpt_lines = 30;

  BuildOutputTracker() = default;
  explicit BuildOutputTracker(dockerfile::StepPlan plan) : plan_(std::move(plan)) {}

  // Returns the step when `line` starts one.
  std::optional<StepLine> feed(LogStream stream, std::string_view line);

  // How many `--label` the build passes: without a plan, Buildah's last stage counts that many LABEL
  // steps of its own after the Dockerfile's.
  void expect_label_steps(int count) { label_steps_ = count; }

  int cached_steps() const { return cached_; }
  int steps_seen() const { return steps_seen_; }
  // The failing step's header and its last lines (at most k_max_excerpt_lines), one per line.
  std::string failure_excerpt() const;
  // The header of the step that ran last ("STEP 2/3: COPY app /app"), empty before the first.
  const std::string& current_step() const { return current_step_; }
  // The step that ran last, as feed() returned it; nullopt before the first.
  const std::optional<StepLine>& last_step() const { return last_step_; }
  // The RUN exit status from the error line, if Buildah printed one.
  std::optional<int> failed_exit_status() const { return failed_status_; }

 private:
  std::optional<dockerfile::StepPlan> plan_;
  int cached_ = 0;
  int steps_seen_ = 0;
  std::string current_step_;
  std::optional<StepLine> last_step_;
  bool in_label_step_ = false;  // a step Buildah added for --label, not one of the Dockerfile
  int label_steps_ = 0;
  std::deque<std::string> step_lines_;
  std::optional<int> failed_status_;
};

}  // namespace nbs::runner
