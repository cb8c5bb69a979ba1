#include "tests/nomad_sim/placement.hpp"

#include <set>

#include "tests/nomad_sim/task_driver.hpp"
#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

json::object alloc_metric(const SimConfig& config, json::value constraint_filtered,
                          json::value dimension_exhausted, std::int64_t missing) {
  const bool filtered = !constraint_filtered.is_null();
  return json::object{
      {"NodesEvaluated", 1},
      {"NodesFiltered", filtered ? 1 : 0},
      {"NodesInPool", 1},
      {"NodesAvailable", json::object{{config.datacenter, 1}}},
      {"ClassFiltered", nullptr},
      {"ConstraintFiltered", std::move(constraint_filtered)},
      {"NodesExhausted", filtered ? 0 : 1},
      {"ClassExhausted", nullptr},
      {"DimensionExhausted", std::move(dimension_exhausted)},
      {"QuotaExhausted", nullptr},
      {"ResourcesExhausted", nullptr},
      {"ScoreMetaData", nullptr},
      {"AllocationTime", 12000},
      {"CoalescedFailures", missing - 1},
  };
}

// Why `group` cannot run on the simulated node, as a ConstraintFiltered key; "" when it can.
std::string unplaceable_reason(const json::object& group, const SimConfig& config) {
  if (const json::object* volumes = object_field(group, "Volumes")) {
    for (const auto& [name, v] : *volumes) {
      if (v.is_object() && string_field(v.get_object(), "Type", "host") == "host" &&
          config.host_volumes.count(string_field(v.get_object(), "Source")) == 0) {
        return "missing compatible host volumes";
      }
    }
  }
  for (const auto& tv : *array_field(group, "Tasks")) {
    const json::object& task = tv.as_object();
    if (!driver_supported(string_field(task, "Driver"))) {
      return "missing drivers";
    }
    const json::object* res = object_field(task, "Resources");
    if (res != nullptr && array_field(*res, "Devices") != nullptr && !array_field(*res, "Devices")->empty()) {
      return "missing devices";
    }
  }
  return "";
}

std::int64_t job_version(const json::object& job) {
  return int_field(job, "Version");
}

}  // namespace

Evaluation make_eval(const Tables& t, const NsKey& job, const std::string& triggered_by,
                     std::uint64_t index) {
  const json::object& j = t.jobs.at(job).job;
  Evaluation e;
  e.id = new_uuid();
  e.ns = job.first;
  e.priority = static_cast<int>(int_field(j, "Priority", 50));
  e.type = string_field(j, "Type");
  e.triggered_by = triggered_by;
  e.job_id = job.second;
  e.job_modify_index = static_cast<std::uint64_t>(int_field(j, "JobModifyIndex"));
  e.status = "complete";
  e.failed_tg_allocs = nullptr;
  e.queued_allocations = nullptr;
  e.snapshot_index = index;
  e.create_index = e.modify_index = index;
  e.create_time = e.modify_time = now_ns();
  return e;
}

PlacementResult place_job(Tables& t, const SimConfig& config, const PlacementInput& in) {
  PlacementResult result;
  JobRecord& rec = t.jobs.at(in.job);
  const json::object& job = rec.job;
  const bool batch = string_field(job, "Type") == "batch" || string_field(job, "Type") == "sysbatch";
  rec.ever_scheduled = true;
  for (const auto& gv : *array_field(job, "TaskGroups")) {
    const json::object& group = gv.as_object();
    const std::string tg = string_field(group, "Name");
    const std::int64_t count = int_field(group, "Count", 1);
    std::int64_t counted = 0;
    std::set<std::uint64_t> used_indexes;
    for (auto& [id, a] : t.allocs) {
      if (a.ns != in.job.first || a.job_id != in.job.second || a.task_group != tg ||
          a.desired_status != "run" || a.client_status == "lost") {
        continue;
      }
      if (in.new_version && job_version(a.job) != job_version(job)) {
        if (!a.terminal()) {
          a.desired_status = "stop";
          a.desired_description = "alloc not needed due to job update";
          a.modify_index = a.alloc_modify_index = in.index;
          a.modify_time = now_ns();
          result.stopped.push_back(id);
        }
        continue;
      }
      if (batch || !a.terminal()) {
        ++counted;
        used_indexes.insert(a.alloc_index);
      }
    }
    const std::int64_t missing = count - counted;
    result.queued[tg] = 0;
    rec.queued[tg] = 0;
    if (missing <= 0) {
      continue;
    }
    const std::string reason = in.forced_failure ? "" : unplaceable_reason(group, config);
    if (in.forced_failure || !reason.empty()) {
      result.failed_tg_allocs[tg] = in.forced_failure
                                        ? alloc_metric(config, nullptr, json::object{{"memory", 1}}, missing)
                                        : alloc_metric(config, json::object{{reason, 1}}, nullptr, missing);
      result.queued[tg] = missing;
      rec.queued[tg] = static_cast<int>(missing);
      continue;
    }
    std::uint64_t next_index = 0;
    for (std::int64_t i = 0; i < missing; ++i) {
      while (used_indexes.count(next_index) != 0) {
        ++next_index;
      }
      used_indexes.insert(next_index);
      Allocation a;
      a.id = new_uuid();
      a.eval_id = in.eval_id;
      a.alloc_index = next_index;
      a.name = in.job.second + "." + tg + "[" + std::to_string(next_index) + "]";
      a.ns = in.job.first;
      a.node_id = config.node_id;
      a.node_name = config.node_name;
      a.job_id = in.job.second;
      a.job = job;
      a.task_group = tg;
      a.create_index = a.modify_index = a.alloc_modify_index = in.index;
      a.create_time = a.modify_time = now_ns();
      result.placed.push_back(a.id);
      t.allocs.emplace(a.id, std::move(a));
    }
  }
  if (!result.placed.empty() || !result.stopped.empty()) {
    t.allocs_index = in.index;
  }
  return result;
}

std::vector<TaskPlan> task_plans(const Tables& t, const SimConfig& config, const std::string& alloc_id) {
  const Allocation& a = t.allocs.at(alloc_id);
  std::vector<TaskPlan> plans;
  for (const auto& gv : *array_field(a.job, "TaskGroups")) {
    const json::object& group = gv.as_object();
    if (string_field(group, "Name") != a.task_group) {
      continue;
    }
    for (const auto& tv : *array_field(group, "Tasks")) {
      const json::object& task = tv.as_object();
      TaskPlan p;
      p.alloc_id = a.id;
      p.job_key = {a.ns, a.job_id};
      p.group = group;
      p.task = task;
      p.alloc_root = config.data_dir / "allocs" / a.id;
      p.payload = base64_decode(string_field(a.job, "Payload")).value_or("");
      TaskIdentity& id = p.identity;
      id.alloc_id = a.id;
      id.alloc_name = a.name;
      id.alloc_index = a.alloc_index;
      id.job_id = a.job_id;
      id.job_name = string_field(a.job, "Name");
      id.parent_job_id = string_field(a.job, "ParentID");
      id.group = a.task_group;
      id.task = string_field(task, "Name");
      id.ns = a.ns;
      id.region = string_field(a.job, "Region", config.region);
      id.datacenter = config.datacenter;
      id.node_id = config.node_id;
      id.node_name = config.node_name;
      id.meta = merged_meta(a.job, group, task);
      if (const json::object* res = object_field(task, "Resources")) {
        id.cpu = int_field(*res, "CPU", 100);
        id.memory_mb = int_field(*res, "MemoryMB", 300);
      }
      plans.push_back(std::move(p));
    }
  }
  return plans;
}

}  // namespace nbs::nomad_sim
