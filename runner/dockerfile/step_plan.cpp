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
    for (std::size_t at = s.begin; at < s.end; ++at) {
      lines.push_back(file.instructions[at].line);
    }
    plan.stages.push_back(
        {static_cast<int>(s.index) + 1, s.label(), !s.name.empty(), steps, std::move(lines)});
    plan.total_steps += steps;
  }
  return plan;
}

}  // namespace nbs::runner::dockerfile
