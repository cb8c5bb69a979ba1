// Everything needed to run one task of one allocation, fixed when the allocation is placed.
#pragma once

#include <filesystem>
#include <string>

#include <boost/json.hpp>

#include "tests/nomad_sim/state_store.hpp"
#include "tests/nomad_sim/task_env.hpp"

namespace nbs::nomad_sim {

struct TaskPlan {
  std::string alloc_id;
  NsKey job_key;
  boost::json::object group;
  boost::json::object task;
  std::filesystem::path alloc_root;  // <data-dir>/allocs/<alloc id>
  TaskIdentity identity;
  std::string payload;  // a dispatched job's decoded Payload, written to local/<DispatchPayload.File>

  std::string driver() const;
  std::filesystem::path task_root() const { return alloc_root / identity.task; }
};

}  // namespace nbs::nomad_sim
