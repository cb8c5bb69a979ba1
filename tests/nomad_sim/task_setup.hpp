// Builds a task's directory (local/, secrets/, tmp/), renders its templates, links its host volumes,
// and computes the process to start, as Nomad's task runner hooks do before the driver starts it.
#pragma once

#include <string>
#include <variant>

#include "tests/nomad_sim/sim_config.hpp"
#include "tests/nomad_sim/state_store.hpp"
#include "tests/nomad_sim/task_driver.hpp"
#include "tests/nomad_sim/task_plan.hpp"

namespace nbs::nomad_sim {

struct SetupFailure {
  enum class Kind { setup, validation };
  Kind kind = Kind::setup;
  std::string message;
};

// The launch, or why the task cannot start (a "Setup Failure" or "Failed Validation" event).
std::variant<DriverLaunch, SetupFailure> prepare_task(const TaskPlan& plan, const SimConfig& config,
                                                      const SimState& state);

}  // namespace nbs::nomad_sim
