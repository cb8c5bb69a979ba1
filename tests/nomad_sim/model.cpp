#include "tests/nomad_sim/model.hpp"

#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

bool Allocation::terminal() const {
  return desired_status == "stop" || desired_status == "evict" || client_status == "complete" ||
         client_status == "failed" || client_status == "lost";
}

json::object to_json(const TaskEvent& e) {
  json::object details;
  for (const auto& [k, v] : e.details) {
    details[k] = v;
  }
  return json::object{
      {"Type", e.type},
      {"Time", e.time},
      {"Message", e.message},
      {"DisplayMessage", e.display_message},
      {"Details", e.details.empty() ? json::value(nullptr) : json::value(std::move(details))},
      {"FailsTask", e.fails_task},
      {"RestartReason", e.restart_reason},
      {"SetupError", e.setup_error},
      {"DriverError", e.driver_error},
      {"ExitCode", e.exit_code},
      {"Signal", e.signal},
      {"KillTimeout", e.kill_timeout},
      {"KillError", ""},
      {"KillReason", e.kill_reason},
      {"StartDelay", e.start_delay},
      {"DownloadError", ""},
      {"ValidationError", e.validation_error},
      {"DiskLimit", 0},
      {"FailedSibling", e.failed_sibling},
      {"VaultError", ""},
      {"TaskSignalReason", ""},
      {"TaskSignal", ""},
      {"DriverMessage", ""},
      {"GenericSource", ""},
  };
}

json::object to_json(const TaskState& s) {
  json::array events;
  for (const auto& e : s.events) {
    events.push_back(to_json(e));
  }
  return json::object{
      {"State", s.state},
      {"Failed", s.failed},
      {"Restarts", s.restarts},
      {"LastRestart", rfc3339(s.last_restart)},
      {"StartedAt", rfc3339(s.started_at)},
      {"FinishedAt", rfc3339(s.finished_at)},
      {"Events", s.events.empty() ? json::value(nullptr) : json::value(std::move(events))},
      {"Paused", ""},
  };
}

json::object to_json(const Evaluation& e) {
  return json::object{
      {"ID", e.id},
      {"Namespace", e.ns},
      {"Priority", e.priority},
      {"Type", e.type},
      {"TriggeredBy", e.triggered_by},
      {"JobID", e.job_id},
      {"JobModifyIndex", e.job_modify_index},
      {"NodeID", e.node_id},
      {"NodeModifyIndex", 0},
      {"DeploymentID", ""},
      {"Status", e.status},
      {"StatusDescription", e.status_description},
      {"Wait", 0},
      {"WaitUntil", rfc3339(0)},
      {"NextEval", ""},
      {"PreviousEval", e.previous_eval},
      {"BlockedEval", e.blocked_eval},
      {"RelatedEvals", nullptr},
      {"FailedTGAllocs", e.failed_tg_allocs},
      {"ClassEligibility", nullptr},
      {"EscapedComputedClass", false},
      {"QuotaLimitReached", ""},
      {"AnnotatePlan", false},
      {"QueuedAllocations", e.queued_allocations},
      {"LeaderACL", ""},
      {"SnapshotIndex", e.snapshot_index},
      {"CreateIndex", e.create_index},
      {"ModifyIndex", e.modify_index},
      {"CreateTime", e.create_time},
      {"ModifyTime", e.modify_time},
  };
}

namespace {

json::object task_states_json(const Allocation& a) {
  json::object states;
  for (const auto& [name, state] : a.task_states) {
    states[name] = to_json(state);
  }
  return states;
}

json::object desired_transition() {
  return json::object{{"Migrate", nullptr},
                      {"Reschedule", nullptr},
                      {"ForceReschedule", nullptr},
                      {"NoShutdownDelay", nullptr}};
}

}  // namespace

json::object alloc_stub_to_json(const Allocation& a) {
  return json::object{
      {"ID", a.id},
      {"EvalID", a.eval_id},
      {"Name", a.name},
      {"Namespace", a.ns},
      {"NodeID", a.node_id},
      {"NodeName", a.node_name},
      {"JobID", a.job_id},
      {"JobType", string_field(a.job, "Type")},
      {"JobVersion", int_field(a.job, "Version")},
      {"TaskGroup", a.task_group},
      {"DesiredStatus", a.desired_status},
      {"DesiredDescription", a.desired_description},
      {"ClientStatus", a.client_status},
      {"ClientDescription", a.client_description},
      {"DesiredTransition", desired_transition()},
      {"TaskStates", task_states_json(a)},
      {"DeploymentStatus", nullptr},
      {"FollowupEvalID", ""},
      {"NextAllocation", ""},
      {"RescheduleTracker", nullptr},
      {"PreemptedAllocations", nullptr},
      {"PreemptedByAllocation", ""},
      {"CreateIndex", a.create_index},
      {"ModifyIndex", a.modify_index},
      {"CreateTime", a.create_time},
      {"ModifyTime", a.modify_time},
  };
}

json::object alloc_to_json(const Allocation& a) {
  json::object out = alloc_stub_to_json(a);
  out.erase("JobType");
  out.erase("JobVersion");
  out["Job"] = a.job;
  json::object tasks;
  if (const json::array* groups = array_field(a.job, "TaskGroups")) {
    for (const auto& g : *groups) {
      if (string_field(g.as_object(), "Name") != a.task_group) {
        continue;
      }
      for (const auto& t : *array_field(g.as_object(), "Tasks")) {
        const json::object* res = object_field(t.as_object(), "Resources");
        const json::object empty;
        const json::object& r = res != nullptr ? *res : empty;
        tasks[string_field(t.as_object(), "Name")] = json::object{
            {"Cpu", json::object{{"CpuShares", int_field(r, "CPU", 100)}, {"ReservedCores", nullptr}}},
            {"Memory", json::object{{"MemoryMB", int_field(r, "MemoryMB", 300)},
                                    {"MemoryMaxMB", int_field(r, "MemoryMaxMB")}}},
            {"Networks", nullptr},
            {"Devices", nullptr},
        };
      }
    }
  }
  out["AllocatedResources"] = json::object{
      {"Tasks", std::move(tasks)},
      {"TaskLifecycles", nullptr},
      {"Shared", json::object{{"DiskMB", 300}, {"Networks", nullptr}, {"Ports", nullptr}}},
  };
  out["Resources"] = nullptr;
  out["SharedResources"] = nullptr;
  out["TaskResources"] = nullptr;
  out["Metrics"] = json::object{{"NodesEvaluated", 1},
                                {"NodesFiltered", 0},
                                {"NodesInPool", 1},
                                {"NodesAvailable", json::object{{"dc1", 1}}},
                                {"AllocationTime", 100000}};
  out["AllocStates"] = nullptr;
  out["PreviousAllocation"] = "";
  out["DeploymentID"] = "";
  out["NetworkStatus"] = nullptr;
  out["SigningKeyID"] = "";
  out["AllocModifyIndex"] = a.alloc_modify_index;
  return out;
}

json::object variable_to_json(const Variable& v, bool with_items) {
  json::object out{
      {"Namespace", v.ns},
      {"Path", v.path},
      {"CreateIndex", v.create_index},
      {"CreateTime", v.create_time},
      {"ModifyIndex", v.modify_index},
      {"ModifyTime", v.modify_time},
  };
  if (with_items) {
    out["Items"] = v.items;
  }
  if (v.lock) {
    out["Lock"] = json::object{{"ID", v.lock->id}, {"TTL", v.lock->ttl}, {"LockDelay", v.lock->lock_delay}};
  }
  return out;
}

}  // namespace nbs::nomad_sim
