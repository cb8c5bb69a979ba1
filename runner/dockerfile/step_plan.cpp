#include "runner/dockerfile/step_plan.hpp"

namespace nbs::runner::dockerfile {

const PlannedStage* StepPlan::find(int number) const {
  if (number == 0) {
    return stages.size() == 1 ? &stages.front() : nullptr;
  }
  for (const auto& s : stages) {
    if (s.number == number) {
      return &s;
    }
  }
  return nullptr;
}

int StepPlan::first_run_line() const {
  for (const auto& s : stages) {
    if (s.first_run_line > 0) {
      return s.first_run_line;
    }
  }
  return 0;
}

StepPlan plan_steps(const Dockerfile& file, const StageGraph& graph) {
  StepPlan plan;
  if (!graph.target) {
    return plan;
  }
  plan.stage_count = static_cast<int>(*graph.target) + 1;
  for (std::size_t i = 0; i <= *graph.target; ++i) {
    const auto& s = graph.stages[i];
    if (!s.built) {
      continue;
    }
    const int steps = static_cast<int>(s.end - s.begin);
    std::vector<int> lines;
    int first_run_line = 0;
    for (std::size_t at = s.begin; at < s.end; ++at) {
      const auto& instruction = file.instructions[at];
      lines.push_back(instruction.line);
      if (first_run_line == 0 && instruction.keyword == "RUN") {
        first_run_line = instruction.line;
      }
    }
    plan.stages.push_back(
        {static_cast<int>(s.index) + 1, s.label(), !s.name.empty(), steps, std::move(lines), first_run_line});
    plan.total_steps += steps;
  }
  return plan;
}

}  // namespace nbs::runner::dockerfile
