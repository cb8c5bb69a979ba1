// Evaluations as Nomad reports them: the scheduler's verdict on a job version, including why a task
// group could not be placed (FailedTGAllocs) and the blocked evaluation that waits for capacity.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <boost/json/object.hpp>

namespace nbs::jobs::nomad {

// AllocMetric: why placement failed for one task group.
struct AllocMetric {
  std::int64_t nodes_evaluated = 0;
  std::int64_t nodes_filtered = 0;
  std::int64_t nodes_in_pool = 0;
  std::int64_t nodes_exhausted = 0;
  std::int64_t coalesced_failures = 0;
  std::map<std::string, std::int64_t> nodes_available;  // datacenter → nodes
  std::map<std::string, std::int64_t> class_filtered;
  std::map<std::string, std::int64_t> constraint_filtered;  // "missing drivers" → nodes
  std::map<std::string, std::int64_t> class_exhausted;
  std::map<std::string, std::int64_t> dimension_exhausted;  // "memory" → nodes
};

struct Evaluation {
  std::string id;
  std::string status;  // "blocked" | "pending" | "complete" | "failed" | "canceled"
  std::string status_description;
  std::string triggered_by;
  std::string job_id;
  std::string blocked_eval;
  std::string next_eval;
  std::string previous_eval;
  std::map<std::string, AllocMetric> failed_tg_allocs;
  std::map<std::string, std::int64_t> queued_allocations;
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
  std::int64_t create_time_ns = 0;
};

AllocMetric alloc_metric_from_json(const boost::json::object& o);
Evaluation evaluation_from_json(const boost::json::object& o);

// One line naming what stopped placement, e.g. "0/2 nodes eligible: missing drivers (2); exhausted:
// memory (1)".
std::string describe_placement_failure(const AllocMetric& metric);

}  // namespace nbs::jobs::nomad
