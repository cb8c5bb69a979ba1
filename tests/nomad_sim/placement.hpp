// The scheduler's placement step on the single simulated node, run under the state lock: creates the
// missing allocations of each task group, stops allocations of older job versions, and reports the
// groups that cannot be placed with an AllocMetric like Nomad's FailedTGAllocs (ref §2.7).
#pragma once

#include <string>
#include <vector>

#include "tests/nomad_sim/sim_config.hpp"
#include "tests/nomad_sim/state_store.hpp"
#include "tests/nomad_sim/task_plan.hpp"

namespace nbs::nomad_sim {

struct PlacementResult {
  std::vector<std::string> placed;   // new allocation ids
  std::vector<std::string> stopped;  // allocations whose tasks must be killed
  json::object failed_tg_allocs;     // tg → AllocMetric
  json::object queued;               // tg → count not placed
};

struct PlacementInput {
  NsKey job;
  std::string eval_id;
  bool new_version = false;     // stop allocations of older versions
  bool forced_failure = false;  // fault injection: nothing fits
  std::uint64_t index = 0;      // the Raft index of this write
};

PlacementResult place_job(Tables& t, const SimConfig& config, const PlacementInput& in);

// One TaskPlan per task of a placed allocation.
std::vector<TaskPlan> task_plans(const Tables& t, const SimConfig& config, const std::string& alloc_id);

// A new evaluation for `job` (status complete, no placement data yet).
Evaluation make_eval(const Tables& t, const NsKey& job, const std::string& triggered_by, std::uint64_t index);

}  // namespace nbs::nomad_sim
