#include "jobs/nomad/evaluations.hpp"

#include <algorithm>

#include "jobs/nomad/json_fields.hpp"

namespace nbs::jobs::nomad {
namespace json = boost::json;

AllocMetric alloc_metric_from_json(const json::object& o) {
  AllocMetric m;
  m.nodes_evaluated = fields::i64(o, "NodesEvaluated");
  m.nodes_filtered = fields::i64(o, "NodesFiltered");
  m.nodes_in_pool = fields::i64(o, "NodesInPool");
  m.nodes_exhausted = fields::i64(o, "NodesExhausted");
  m.coalesced_failures = fields::i64(o, "CoalescedFailures");
  m.nodes_available = fields::int_map(o, "NodesAvailable");
  m.class_filtered = fields::int_map(o, "ClassFiltered");
  m.constraint_filtered = fields::int_map(o, "ConstraintFiltered");
  m.class_exhausted = fields::int_map(o, "ClassExhausted");
  m.dimension_exhausted = fields::int_map(o, "DimensionExhausted");
  return m;
}

Evaluation evaluation_from_json(const json::object& o) {
  Evaluation e;
  e.id = fields::str(o, "ID");
  e.status = fields::str(o, "Status");
  e.status_description = fields::str(o, "StatusDescription");
  e.triggered_by = fields::str(o, "TriggeredBy");
  e.job_id = fields::str(o, "JobID");
  e.blocked_eval = fields::str(o, "BlockedEval");
  e.next_eval = fields::str(o, "NextEval");
  e.previous_eval = fields::str(o, "PreviousEval");
  if (const auto* failed = fields::object(o, "FailedTGAllocs")) {
    for (const auto& [group, metric] : *failed) {
      if (metric.is_object()) {
        e.failed_tg_allocs.emplace(std::string(group), alloc_metric_from_json(metric.as_object()));
      }
    }
  }
  e.queued_allocations = fields::int_map(o, "QueuedAllocations");
  e.create_index = fields::u64(o, "CreateIndex");
  e.modify_index = fields::u64(o, "ModifyIndex");
  e.create_time_ns = fields::i64(o, "CreateTime");
  return e;
}

std::string describe_placement_failure(const AllocMetric& m) {
  std::int64_t available = 0;
  for (const auto& [dc, n] : m.nodes_available) {
    available += n;
  }
  const std::int64_t eligible =
      std::max<std::int64_t>(0, m.nodes_evaluated - m.nodes_filtered - m.nodes_exhausted);
  std::string out = std::to_string(eligible) + "/" +
                    std::to_string(available > 0 ? available : m.nodes_evaluated) + " nodes eligible";
  auto list = [&out](const char* label, const std::map<std::string, std::int64_t>& reasons) {
    if (reasons.empty()) {
      return;
    }
    out += label;
    bool first = true;
    for (const auto& [reason, n] : reasons) {
      out += (first ? " " : ", ") + reason + " (" + std::to_string(n) + ")";
      first = false;
    }
  };
  list(":", m.constraint_filtered);
  list("; filtered by class:", m.class_filtered);
  list("; exhausted:", m.dimension_exhausted);
  if (m.nodes_evaluated == 0 && available == 0) {
    out += "; no nodes in the datacenters and node pool of the job";
  }
  return out;
}

}  // namespace nbs::jobs::nomad
