#include "tests/nomad_sim/scheduler.hpp"

#include "tests/nomad_sim/endpoint_util.hpp"
#include "tests/nomad_sim/job_canonical.hpp"
#include "tests/nomad_sim/placement.hpp"
#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

constexpr const char* k_enforce_prefix = "Enforcing job modify index";

// Attaches placement failures to `eval` and, when some group could not be placed, returns the
// blocked evaluation Nomad creates next to it.
std::optional<Evaluation> record_failures(Tables& t, Evaluation& eval, const PlacementResult& r,
                                          std::uint64_t idx) {
  eval.queued_allocations = r.queued;
  if (r.failed_tg_allocs.empty()) {
    return std::nullopt;
  }
  eval.failed_tg_allocs = r.failed_tg_allocs;
  Evaluation blocked = make_eval(t, {eval.ns, eval.job_id}, "queued-allocs", idx);
  blocked.status = "blocked";
  blocked.status_description = "created due to placement conflicts";
  blocked.previous_eval = eval.id;
  blocked.queued_allocations = r.queued;
  eval.blocked_eval = blocked.id;
  return blocked;
}

json::value register_response(const std::string& eval_id, std::uint64_t eval_index, std::uint64_t jmi,
                              std::uint64_t index) {
  return json::object{{"EvalID", eval_id},     {"EvalCreateIndex", eval_index},
                      {"JobModifyIndex", jmi}, {"Warnings", ""},
                      {"Index", index},        {"LastContact", 0},
                      {"KnownLeader", false},  {"NextToken", ""}};
}

}  // namespace

bool is_parameterized_parent(const json::object& job) {
  return find_field(job, "ParameterizedJob") != nullptr && !bool_field(job, "Dispatched");
}

bool is_periodic_parent(const json::object& job) {
  const json::object* periodic = object_field(job, "Periodic");
  return periodic != nullptr && bool_field(*periodic, "Enabled", true);
}

Committed commit_job(Tables& t, const SimConfig& config, const NsKey& key, json::object job,
                     const json::object& server_fields, bool forced_failure) {
  const auto existing = t.jobs.find(key);
  const bool changed = existing == t.jobs.end() || bool_field(existing->second.job, "Stop") ||
                       job_spec_only(existing->second.job) != job_spec_only(job);
  Committed c;
  c.index = t.bump();
  const std::uint64_t idx = c.index;
  if (changed) {
    const bool update = existing != t.jobs.end();
    job["Stop"] = false;
    job["Status"] = "pending";
    job["StatusDescription"] = "";
    job["Stable"] = false;
    job["Version"] = update ? int_field(existing->second.job, "Version") + 1 : 0;
    job["SubmitTime"] = now_ns();
    job["CreateIndex"] =
        update ? int_field(existing->second.job, "CreateIndex") : static_cast<std::int64_t>(idx);
    job["ModifyIndex"] = idx;
    job["JobModifyIndex"] = idx;
    for (const char* k :
         {"ParentID", "DispatchIdempotencyToken", "ConsulNamespace", "VaultNamespace", "NomadTokenID"}) {
      job[k] = "";
    }
    job["Dispatched"] = false;
    job["Payload"] = nullptr;
    job["VersionTag"] = nullptr;
    for (const auto& [k, v] : server_fields) {
      job[k] = v;
    }
    t.jobs[key].job = std::move(job);
    t.jobs_index = idx;
  }
  const JobRecord& rec = t.jobs.at(key);
  c.job_modify_index = static_cast<std::uint64_t>(int_field(rec.job, "JobModifyIndex"));
  c.job_create_index = static_cast<std::uint64_t>(int_field(rec.job, "CreateIndex"));
  // Periodic and parameterized parents get no evaluation (their children do).
  if (!is_parameterized_parent(rec.job) && !is_periodic_parent(rec.job)) {
    Evaluation eval = make_eval(t, key, "job-register", idx);
    c.placement = place_job(t, config, {key, eval.id, changed, forced_failure, idx});
    if (auto blocked = record_failures(t, eval, c.placement, idx)) {
      t.evals.emplace(blocked->id, std::move(*blocked));
    }
    c.eval_id = eval.id;
    c.eval_index = idx;
    t.evals.emplace(eval.id, std::move(eval));
    t.evals_index = idx;
  }
  refresh_job_status(t, key);
  return c;
}

Scheduler::Scheduler(SimState& state, const SimConfig& config, FaultInjector& faults)
    : state_(state), config_(config), faults_(faults) {}

Scheduler::~Scheduler() {
  shutdown();
}

SimResponse Scheduler::register_job(const SimRequest& req, const std::string& path_job_id) {
  auto body = parse_body(req.body);
  if (!body) {
    return text_error(400, body.error().message);
  }
  json::value* job_value = body->if_contains("Job");
  if (job_value == nullptr || !job_value->is_object()) {
    return text_error(400, "Job must be specified");
  }
  json::object job = std::move(job_value->get_object());
  if (find_field(job, "ID") == nullptr) {
    return text_error(400, "Job ID hasn't been provided");
  }
  if (!path_job_id.empty() && string_field(job, "ID") != path_job_id) {
    return text_error(400, "Job ID does not match name");
  }
  if (const json::value* p = find_field(*body, "EvalPriority");
      p != nullptr && (as_int(*p).value_or(0) < 1 || as_int(*p).value_or(0) > 100)) {
    return text_error(400, "Eval priority must be between 1 and 100 inclusively");
  }
  std::string ns = req.param("namespace");
  if (ns.empty()) {
    ns = string_field(*body, "Namespace", string_field(job, "Namespace", "default"));
  }
  job["Namespace"] = ns.empty() ? "default" : ns;
  canonicalize_job(job, config_.region);
  if (const auto errors = validate_job(job); !errors.empty()) {
    return text_error(500, multierror_text(errors));
  }
  const bool enforce = bool_field(*body, "EnforceIndex");
  const auto jmi = static_cast<std::uint64_t>(int_field(*body, "JobModifyIndex"));
  const bool forced_failure = faults_.take_placement_failure();
  struct Outcome {
    SimResponse response;
    PlacementResult placement;
  };
  Outcome out = state_.write([&](Tables& t) -> Outcome {
    const NsKey key{string_field(job, "Namespace"), string_field(job, "ID")};
    if (t.namespaces.count(key.first) == 0) {
      return {text_error(500, "job \"" + key.second + "\" is in nonexistent namespace \"" + key.first + "\""),
              {}};
    }
    const auto existing = t.jobs.find(key);
    if (enforce) {
      if (existing != t.jobs.end()) {
        const auto current = static_cast<std::uint64_t>(int_field(existing->second.job, "JobModifyIndex"));
        if (jmi == 0) {
          return {text_error(500, std::string(k_enforce_prefix) + " 0: job already exists"), {}};
        }
        if (jmi != current) {
          return {text_error(
                      500, std::string(k_enforce_prefix) + " " + std::to_string(jmi) +
                               ": job exists with conflicting job modify index: " + std::to_string(current)),
                  {}};
        }
      } else if (jmi != 0) {
        return {text_error(
                    500, std::string(k_enforce_prefix) + " " + std::to_string(jmi) + ": job does not exist"),
                {}};
      }
    }
    if (existing != t.jobs.end() && string_field(existing->second.job, "Type") != string_field(job, "Type")) {
      return {text_error(500, "cannot update job from type \"" + string_field(existing->second.job, "Type") +
                                  "\" to \"" + string_field(job, "Type") + "\""),
              {}};
    }
    Committed c = commit_job(t, config_, key, std::move(job), {}, forced_failure);
    SimResponse r =
        json_reply(json::serialize(register_response(c.eval_id, c.eval_index, c.job_modify_index, c.index)));
    r.write_index = c.index;
    return {std::move(r), std::move(c.placement)};
  });
  stop_runners(out.placement.stopped);
  start_runners(out.placement.placed);
  return std::move(out.response);
}

SimResponse Scheduler::deregister_job(const SimRequest& req, const std::string& job_id) {
  const NsKey key{request_namespace(req), job_id};
  const bool purge = req.param("purge") == "true";
  std::vector<std::string> stopped;
  SimResponse r = state_.write([&](Tables& t) {
    json::object resp{{"EvalID", ""},       {"EvalCreateIndex", 0}, {"JobModifyIndex", 0},
                      {"VolumeEvalID", ""}, {"VolumeEvalIndex", 0}, {"Index", 0},
                      {"LastContact", 0},   {"KnownLeader", false}, {"NextToken", ""}};
    const auto it = t.jobs.find(key);
    if (it == t.jobs.end()) {
      SimResponse none = json_reply(json::serialize(resp));
      none.write_index = 0;
      return none;
    }
    const std::uint64_t idx = t.bump();
    for (auto& [id, a] : t.allocs) {
      if (a.ns == key.first && a.job_id == key.second && !a.terminal()) {
        a.desired_status = "stop";
        a.desired_description = "alloc not needed due to job update";
        a.modify_index = a.alloc_modify_index = idx;
        a.modify_time = now_ns();
        stopped.push_back(id);
      }
    }
    t.allocs_index = idx;
    Evaluation eval = make_eval(t, key, "job-deregister", idx);
    json::object& job = it->second.job;
    job["Stop"] = true;
    job["Version"] = int_field(job, "Version") + 1;
    job["JobModifyIndex"] = idx;
    job["ModifyIndex"] = idx;
    eval.job_modify_index = idx;
    resp["EvalID"] = eval.id;
    resp["EvalCreateIndex"] = idx;
    resp["JobModifyIndex"] = idx;
    resp["Index"] = idx;
    t.evals.emplace(eval.id, std::move(eval));
    t.evals_index = idx;
    t.jobs_index = idx;
    if (purge) {
      t.jobs.erase(it);
    } else {
      refresh_job_status(t, key);
    }
    SimResponse ok = json_reply(json::serialize(resp));
    ok.write_index = idx;
    return ok;
  });
  stop_runners(stopped);
  return r;
}

nbs::Status Scheduler::lose_alloc(const std::string& alloc_id) {
  const bool found = state_.write([&](Tables& t) {
    const auto it = t.allocs.find(alloc_id);
    if (it == t.allocs.end()) {
      return false;
    }
    Allocation& a = it->second;
    const std::uint64_t idx = t.bump();
    a.client_status = "lost";
    a.client_description = "alloc is lost since its node is down";
    a.desired_status = "stop";
    a.desired_description = "alloc is lost since its node is down";
    a.modify_index = a.alloc_modify_index = idx;
    a.modify_time = now_ns();
    t.allocs_index = idx;
    const NsKey key{a.ns, a.job_id};
    if (t.jobs.count(key) != 0) {
      Evaluation eval = make_eval(t, key, "node-update", idx);
      eval.node_id = config_.node_id;
      t.evals.emplace(eval.id, std::move(eval));
      t.evals_index = idx;
      refresh_job_status(t, key);
    }
    return true;
  });
  if (!found) {
    return nbs::make_error(nbs::ErrorKind::not_found, "lose_alloc: alloc not found");
  }
  std::lock_guard lock(mu_);
  if (const auto it = runners_.find(alloc_id); it != runners_.end()) {
    it->second->lose();
  }
  return {};
}

nbs::Status Scheduler::lose_job(const std::string& ns, const std::string& job_id) {
  const auto ids = state_.read([&](const Tables& t) {
    std::vector<std::string> out;
    for (const auto& [id, a] : t.allocs) {
      if (a.ns == ns && a.job_id == job_id && !a.terminal()) {
        out.push_back(id);
      }
    }
    return out;
  });
  if (ids.empty()) {
    return nbs::make_error(nbs::ErrorKind::not_found, "lose_job: no running allocation of job " + job_id);
  }
  for (const auto& id : ids) {
    if (auto s = lose_alloc(id); !s) {
      return s;
    }
  }
  return {};
}

void Scheduler::retry_blocked() {
  const bool forced = false;
  std::vector<std::string> placed_all;
  state_.write([&](Tables& t) {
    std::vector<std::string> blocked;
    for (const auto& [id, e] : t.evals) {
      if (e.status == "blocked") {
        blocked.push_back(id);
      }
    }
    for (const auto& id : blocked) {
      Evaluation& e = t.evals.at(id);
      const NsKey key{e.ns, e.job_id};
      const auto job = t.jobs.find(key);
      const std::uint64_t idx = t.bump();
      e.modify_index = idx;
      e.modify_time = now_ns();
      t.evals_index = idx;
      if (job == t.jobs.end() || bool_field(job->second.job, "Stop")) {
        e.status = "canceled";
        continue;
      }
      PlacementResult r = place_job(t, config_, {key, e.id, false, forced, idx});
      if (r.failed_tg_allocs.empty()) {
        e.status = "complete";
        e.queued_allocations = r.queued;
      }
      placed_all.insert(placed_all.end(), r.placed.begin(), r.placed.end());
      refresh_job_status(t, key);
    }
  });
  start_runners(placed_all);
}

void Scheduler::start_runners(const std::vector<std::string>& alloc_ids) {
  reap_finished();
  for (const auto& id : alloc_ids) {
    auto plans = state_.read([&](const Tables& t) { return task_plans(t, config_, id); });
    auto runner = std::make_unique<AllocRunner>(state_, config_, std::move(plans));
    AllocRunner& r = *runner;
    {
      std::lock_guard lock(mu_);
      runners_[id] = std::move(runner);
    }
    r.start();
  }
}

void Scheduler::stop_runners(const std::vector<std::string>& alloc_ids) {
  std::lock_guard lock(mu_);
  for (const auto& id : alloc_ids) {
    if (const auto it = runners_.find(id); it != runners_.end()) {
      it->second->stop();
    }
  }
}

void Scheduler::reap_finished() {
  std::vector<std::unique_ptr<AllocRunner>> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = runners_.begin(); it != runners_.end();) {
      if (it->second->done()) {
        finished.push_back(std::move(it->second));
        it = runners_.erase(it);
      } else {
        ++it;
      }
    }
  }
  finished.clear();  // joins outside the lock
}

void Scheduler::shutdown() {
  std::map<std::string, std::unique_ptr<AllocRunner>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(runners_);
  }
  for (auto& [id, r] : all) {
    r->lose();
  }
  all.clear();
}

}  // namespace nbs::nomad_sim
