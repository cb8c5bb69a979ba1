// How many STEP lines Buildah prints for a build, worked out before it starts, so that progress can
// say "step k of n" across stages. Buildah numbers steps per stage (`[i/k] STEP n/m:`), counting the
// FROM as step 1, and builds only the stages the target needs, in an order of its own; the overall k
// is therefore the count of STEP lines seen so far, and n the sum of the built stages' steps.
#pragma once

#include <string>
#include <vector>

#include "runner/dockerfile/stages.hpp"

namespace nbs::runner::dockerfile {

struct PlannedStage {
  int number = 0;  // Buildah's i in "[i/k]" (1-based)
  std::string label;
  bool named = false;
  int steps = 0;
  std::vector<int> lines;  // the Dockerfile line of each step, the FROM first: a failing step's place
  int first_run_line = 0;  // of its first RUN (0: none), which runs binaries of the target platform
};

struct StepPlan {
  int stage_count = 0;  // Buildah's k in "[i/k]"
  int total_steps = 0;
  std::vector<PlannedStage> stages;  // the built stages, in Dockerfile order

  // The built stage with Buildah's number `number`; for output without "[i/k]", the only one.
  const PlannedStage* find(int number) const;
  // The line of the first RUN of a built stage, in Dockerfile order; 0 when no built stage has one.
  int first_run_line() const;
};

StepPlan plan_steps(const Dockerfile& file, const StageGraph& graph);

}  // namespace nbs::runner::dockerfile
