#include "tests/nomad_sim/state_store.hpp"

#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

bool special_parent(const json::object& job) {
  const json::object* periodic = object_field(job, "Periodic");
  return string_field(job, "Type") == "system" ||
         (periodic != nullptr && bool_field(*periodic, "Enabled", true)) ||
         (find_field(job, "ParameterizedJob") != nullptr && !bool_field(job, "Dispatched"));
}

}  // namespace

std::string compute_job_status(const Tables& t, const NsKey& key) {
  const auto it = t.jobs.find(key);
  if (it == t.jobs.end()) {
    return "dead";
  }
  const json::object& job = it->second.job;
  const bool stopped = bool_field(job, "Stop");
  if (special_parent(job)) {
    return stopped ? "dead" : "running";
  }
  bool any = false;
  for (const auto& [id, a] : t.allocs) {
    if (a.ns == key.first && a.job_id == key.second) {
      any = true;
      if (!a.terminal()) {
        return "running";
      }
    }
  }
  for (const auto& [id, e] : t.evals) {
    if (e.ns == key.first && e.job_id == key.second) {
      any = true;
      if (!e.terminal()) {
        return "pending";
      }
    }
  }
  return any || stopped ? "dead" : "pending";
}

void refresh_job_status(Tables& t, const NsKey& key) {
  const auto it = t.jobs.find(key);
  if (it == t.jobs.end()) {
    return;
  }
  const std::string status = compute_job_status(t, key);
  json::object& job = it->second.job;
  if (string_field(job, "Status") != status) {
    job["Status"] = status;
    job["ModifyIndex"] = t.index;
    t.jobs_index = t.index;
  }
}

void derive_client_status(Allocation& a) {
  if (a.client_status == "lost") {
    return;
  }
  bool any_failed = false;
  bool any_running = false;
  bool any_pending = false;
  for (const auto& [name, s] : a.task_states) {
    any_failed = any_failed || (s.state == "dead" && s.failed);
    any_running = any_running || s.state == "running";
    any_pending = any_pending || s.state == "pending";
  }
  if (any_failed) {
    a.client_status = "failed";
    a.client_description = "Failed tasks";
  } else if (any_running) {
    a.client_status = "running";
    a.client_description = "Tasks are running";
  } else if (any_pending) {
    a.client_status = "pending";
    a.client_description = "No tasks have started";
  } else {
    a.client_status = "complete";
    a.client_description = "All tasks have completed";
  }
}

json::object job_summary(const Tables& t, const NsKey& key) {
  json::object summary;
  const auto it = t.jobs.find(key);
  if (it == t.jobs.end()) {
    return summary;
  }
  const JobRecord& rec = it->second;
  std::map<std::string, std::map<std::string, int>> counts;
  if (const json::array* groups = array_field(rec.job, "TaskGroups")) {
    for (const auto& g : *groups) {
      counts[string_field(g.as_object(), "Name")];
    }
  }
  for (const auto& [id, a] : t.allocs) {
    if (a.ns != key.first || a.job_id != key.second) {
      continue;
    }
    auto& c = counts[a.task_group];
    const std::string& s = a.client_status;
    ++c[s == "pending"    ? "Starting"
        : s == "running"  ? "Running"
        : s == "complete" ? "Complete"
        : s == "failed"   ? "Failed"
        : s == "lost"     ? "Lost"
                          : "Unknown"];
  }
  for (auto& [tg, c] : counts) {
    const auto q = rec.queued.find(tg);
    summary[tg] = json::object{
        {"Queued", q == rec.queued.end() ? 0 : q->second},
        {"Complete", c["Complete"]},
        {"Failed", c["Failed"]},
        {"Running", c["Running"]},
        {"Starting", c["Starting"]},
        {"Lost", c["Lost"]},
        {"Unknown", c["Unknown"]},
    };
  }
  return json::object{
      {"JobID", key.second},
      {"Namespace", key.first},
      {"Summary", std::move(summary)},
      {"Children", nullptr},
      {"CreateIndex", int_field(rec.job, "CreateIndex")},
      {"ModifyIndex", t.allocs_index},
  };
}

json::object job_list_stub(const Tables& t, const NsKey& key, bool with_meta) {
  const json::object& job = t.jobs.at(key).job;
  json::object out{
      {"ID", key.second},
      {"ParentID", string_field(job, "ParentID")},
      {"Name", string_field(job, "Name")},
      {"Namespace", key.first},
      {"Datacenters", job.at("Datacenters")},
      {"NodePool", string_field(job, "NodePool")},
      {"Multiregion", nullptr},
      {"Type", string_field(job, "Type")},
      {"Priority", int_field(job, "Priority")},
      {"Periodic", find_field(job, "Periodic") != nullptr},
      {"ParameterizedJob", find_field(job, "ParameterizedJob") != nullptr && !bool_field(job, "Dispatched")},
      {"Stop", bool_field(job, "Stop")},
      {"Status", string_field(job, "Status")},
      {"StatusDescription", string_field(job, "StatusDescription")},
      {"JobSummary", job_summary(t, key)},
      {"CreateIndex", int_field(job, "CreateIndex")},
      {"ModifyIndex", int_field(job, "ModifyIndex")},
      {"JobModifyIndex", int_field(job, "JobModifyIndex")},
      {"SubmitTime", int_field(job, "SubmitTime")},
  };
  if (with_meta) {
    const json::value* meta = find_field(job, "Meta");
    out["Meta"] = meta != nullptr ? *meta : json::value(nullptr);
  }
  return out;
}

}  // namespace nbs::nomad_sim
