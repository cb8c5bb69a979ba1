// NomadExecutor: each phase a Nomad batch job — creating the executor, starting, observing, watching,
// stopping, listing and purging phases, and the Variable of a build's secret build args. What the
// phases' tasks wrote (logs, the result file) is read in phase_output.cpp.
#include "jobs/nomad_executor/nomad_executor.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/build_secrets.hpp"
#include "common/secret_build_args.hpp"
#include "jobs/nomad/status.hpp"
#include "jobs/nomad/variables.hpp"
#include "jobs/nomad_executor/alloc_state.hpp"
#include "jobs/specs/phase_specs.hpp"

namespace nbs::jobs {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view k_prefix = "nbs-";

// Whether a group of the job has no allocation: only then can evaluations say why (placement).
bool has_unplaced_group(const nomad::JobInfo& job, const std::vector<nomad::Allocation>& allocs) {
  return std::any_of(job.task_groups.begin(), job.task_groups.end(), [&](const std::string& group) {
    return std::none_of(allocs.begin(), allocs.end(),
                        [&](const nomad::Allocation& a) { return a.task_group == group; });
  });
}

}  // namespace

Result<std::unique_ptr<NomadExecutor>> NomadExecutor::create(NomadExecutorConfig config) {
  if (config.specs.namespace_name.empty()) {
    config.specs.namespace_name = config.nomad.namespace_name;
  }
  if (config.specs.region.empty()) {
    config.specs.region = config.nomad.region;
  }
  auto client = nomad::Client::connect(config.nomad);
  if (!client) {
    return client.error();
  }
  auto watch = nomad::CancellableTransport::create(config.nomad);
  if (!watch) {
    return watch.error();
  }
  return std::unique_ptr<NomadExecutor>(
      new NomadExecutor(std::move(config), std::move(*client), std::move(*watch)));
}

Result<std::unique_ptr<NomadExecutor>> NomadExecutor::from_env(const nomad::EnvMap& env,
                                                               specs::NomadSpecConfig specs) {
  auto nomad = nomad::config_from_env(env);
  if (!nomad) {
    return nomad.error();
  }
  return create(NomadExecutorConfig{.nomad = std::move(*nomad), .specs = std::move(specs)});
}

NomadExecutor::NomadExecutor(NomadExecutorConfig config, nomad::Client client,
                             std::shared_ptr<nomad::CancellableTransport> watch)
    : config_(std::move(config)), client_(std::move(client)), watch_(std::move(watch)) {}

NomadExecutor::~NomadExecutor() {
  interrupt_waits();
}

nomad::QueryOptions NomadExecutor::query() const {
  return nomad::QueryOptions{.namespace_name = config_.specs.namespace_name, .region = config_.specs.region};
}

nomad::WriteOptions NomadExecutor::write_options() const {
  return nomad::WriteOptions{.namespace_name = config_.specs.namespace_name, .region = config_.specs.region};
}

// The node that ran the job's newest build, which the test phase avoids (softly): best effort, an
// unknown node only loses the preference.
std::string NomadExecutor::build_node_of(const std::string& job_id) {
  nomad::Jobs jobs(client_);
  auto q = query();
  q.prefix = std::string(k_prefix) + job_id + "-build";
  auto listed = jobs.list(q);
  if (!listed) {
    return {};
  }
  std::optional<PhaseId> newest;
  for (const auto& stub : listed->value) {
    auto id = specs::parse_nomad_job_id(stub.id);
    if (id && id->job_id == job_id && id->phase == Phase::build &&
        (!newest || id->attempt > newest->attempt)) {
      newest = id;
    }
  }
  if (!newest) {
    return {};
  }
  auto allocs = jobs.allocations(specs::nomad_job_id(*newest), query());
  if (!allocs) {
    return {};
  }
  const nomad::Allocation* alloc = nomad::newest_with_task(allocs->value, nomad::k_runner_task);
  return alloc != nullptr ? alloc->node_id : std::string();
}

Status NomadExecutor::start(const PhaseLaunch& launch) {
  const std::string build_node =
      launch.id.phase == Phase::test ? build_node_of(launch.id.job_id) : std::string();
  auto job = specs::phase_job_spec(launch, config_.specs, build_node);
  if (!job) {
    return job.error();
  }
  // The job's template reads its secret build args from here; written first, so it finds them.
  const auto secrets_path = specs::build_args_variable(launch);
  if (const auto& path = secrets_path) {
    nomad::Variables variables(client_);
    const nomad::Variable secrets{
        .namespace_name = config_.specs.namespace_name,
        .path = *path,
        .items = {{std::string(specs::k_build_args_item),
                   encode_secret_build_args(secret_build_arg_values(launch.request))}}};
    if (auto written = variables.write(secrets, std::nullopt, write_options()); !written) {
      return written.error();
    }
  }
  nomad::Jobs jobs(client_);
  auto registered = jobs.enforce_register(*job, 0, write_options());
  // A conflict: the job exists already, so this start is a repeat (a restarted daemon, a second replica).
  if (!registered) {
    if (registered.error().kind != ErrorKind::conflict) {
      return registered.error();
    }
    if (secrets_path) {
      memory_.remember_secrets(specs::nomad_job_id(launch.id));  // written again: the next look removes them
    }
    return {};
  }
  // A new job: nothing remembered of an earlier one with this id holds, and its groups are known.
  std::vector<std::string> groups;
  for (const auto& g : job->task_groups) {
    groups.push_back(g.name);
  }
  const std::string name = specs::nomad_job_id(launch.id);
  memory_.forget(name);
  memory_.remember_groups(name, std::move(groups));
  if (secrets_path) {
    memory_.remember_secrets(name);
  }
  return {};
}

Result<PhaseObservation> NomadExecutor::observe(const PhaseId& id) {
  const std::string name = specs::nomad_job_id(id);
  nomad::Jobs jobs(client_);
  auto allocs = allocations_of(name);
  if (!allocs) {
    return allocs.error();
  }
  nomad::PhaseSnapshot snapshot;
  snapshot.allocations = std::move(*allocs);
  // With allocations, the job adds only its task groups (rule 6 needs its Stop and Status only when
  // there is none), and those never change: the job is read once per phase, not on every look.
  auto groups = snapshot.allocations.empty() ? std::nullopt : memory_.groups(name);
  if (groups) {
    snapshot.job = nomad::JobInfo{.id = name, .task_groups = std::move(*groups)};
  } else {
    auto info = jobs.info(name, query());
    if (!info) {
      // No job: never started, or purged. Nomad may keep a purged job's allocations until its garbage
      // collection, but the executor has forgotten the phase (the contract of purge()).
      if (info.error().kind == ErrorKind::not_found) {
        memory_.forget(name);
        return PhaseObservation{};
      }
      return info.error();
    }
    // Stopped or dead with no allocation is a failure (rule 6), unless the allocations came and went
    // between the two reads: look again before saying so.
    if (snapshot.allocations.empty() && (info->value.stop || info->value.status == "dead")) {
      auto again = allocations_of(name);
      if (!again) {
        return again.error();
      }
      snapshot.allocations = std::move(*again);
    }
    memory_.remember_groups(name, info->value.task_groups);
    snapshot.job = std::move(info->value);
  }
  // Most of the time every group has an allocation, and the call for evaluations is saved.
  if (has_unplaced_group(*snapshot.job, snapshot.allocations)) {
    auto evals = jobs.evaluations(name, query());
    if (!evals) {
      return evals.error();
    }
    snapshot.evaluations = std::move(evals->value);
  }
  auto observation = nomad::observe_phase(snapshot);
  // A build task's template has rendered its secret build args by the time it runs, and a task that
  // ended needs them no more: the Variable goes at the first look that sees either. (Those a restart
  // forgot, sweep() finds.)
  if (observation.state != PhaseState::absent && observation.state != PhaseState::pending &&
      memory_.take_secrets(name)) {
    if (auto removed = remove_build_args(id); !removed) {
      memory_.remember_secrets(name);
      return removed.error();
    }
  }
  return observation;
}

Result<std::vector<std::string>> NomadExecutor::sweep() {
  // A Variable of a phase that runs or ended is no longer read. One without a job is removed only once
  // it is old: a start writes it just before it registers the job.
  constexpr auto k_unregistered_age = std::chrono::hours(1);
  const std::string prefix = std::string(specs::k_job_variables) + std::string(k_prefix);
  nomad::Variables variables(client_);
  auto q = query();
  q.prefix = prefix;
  auto listed = variables.list(q);
  if (!listed) {
    return listed.error();
  }
  std::vector<std::string> removed;
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const auto& variable : listed->value) {
    auto id =
        specs::parse_nomad_job_id(std::string_view(variable.path).substr(specs::k_job_variables.size()));
    if (!id || id->phase != Phase::build) {
      continue;
    }
    auto seen = observe(*id);
    if (!seen) {
      return seen.error();
    }
    const bool old = now_ns - variable.modify_time_ns >
                     std::chrono::duration_cast<std::chrono::nanoseconds>(k_unregistered_age).count();
    if (seen->state == PhaseState::pending || (seen->state == PhaseState::absent && !old)) {
      continue;
    }
    if (auto gone = remove_build_args(*id); !gone) {
      return gone.error();
    }
    removed.push_back("secret build args of " + specs::nomad_job_id(*id));
  }
  return removed;
}

Status NomadExecutor::remove_build_args(const PhaseId& id) {
  if (id.phase != Phase::build) {
    return {};
  }
  nomad::Variables variables(client_);
  return variables.remove(specs::build_args_variable_path(id), std::nullopt, write_options());
}

// GET /v1/job/:id/allocations, remembering where each task runs (read_log, read_result).
Result<std::vector<nomad::Allocation>> NomadExecutor::allocations_of(const std::string& name) {
  nomad::Jobs jobs(client_);
  auto allocs = jobs.allocations(name, query());
  if (!allocs) {
    return allocs.error();
  }
  memory_.remember_allocations(name, allocs->value);
  return std::move(allocs->value);
}

// Why GET /v1/jobs?prefix=nbs- and not the allocations: it holds exactly our jobs (a prefix the
// allocation list cannot filter on), it changes when one of them is registered, stopped or purged
// (which no allocation shows: a phase that cannot be placed has none), and Nomad answers it with the
// higher of the jobs and job_summary table indexes, so it also wakes when an allocation of ours
// changes client status (Starting → Running → Complete/Failed are the summary's counts). Each stub
// carries its Status, Stop and summary, which tell which jobs reached a state an observer acts on
// (JobFingerprint); a job only being placed or starting is not reported. Task events that change no
// client status (a restart inside an allocation) do not wake it; nothing waits for them.
Result<Changes> NomadExecutor::wait_for_change(std::uint64_t index, std::chrono::milliseconds timeout) {
  const std::uint64_t epoch = watch_->epoch();
  nomad::Client client(config_.nomad, watch_->bound(epoch), [this, epoch](std::chrono::milliseconds pause) {
    sleep_unless_interrupted(pause, epoch);
  });
  nomad::Jobs jobs(client);
  auto q = query();
  q.prefix = std::string(k_prefix);
  if (index > 0 && timeout > 0ms) {
    // Without `wait` Nomad would block for its default 300 s; a timeout under 1 ms still waits 1 ms.
    q.index = index;
    q.wait = std::max<std::chrono::milliseconds>(timeout, 1ms);
  }
  auto listed = jobs.list(q);
  if (watch_->epoch() != epoch) {
    return Changes{.index = index};  // interrupted: nothing is known to have changed
  }
  if (!listed) {
    return listed.error();
  }
  return diff(index, listed->meta.last_index, listed->value);
}

NomadExecutor::JobFingerprint NomadExecutor::JobFingerprint::of(const nomad::JobListStub& stub) {
  JobFingerprint f{.stop = stub.stop, .dead = stub.status == "dead"};
  for (const auto& [group, counts] : stub.summary) {
    f.complete += counts.complete;
    f.failed += counts.failed;
    f.lost += counts.lost;
    f.unknown += counts.unknown;
  }
  return f;
}

Changes NomadExecutor::diff(std::uint64_t index, std::uint64_t new_index,
                            const std::vector<nomad::JobListStub>& jobs) {
  Changes out{.index = new_index};
  std::map<std::string, JobFingerprint> now;
  std::set<std::string> changed;  // Nomad job ids
  std::lock_guard lock(mutex_);
  // The last answer describes the state at `index` only if it was taken at that index; otherwise
  // (the first call, another caller's index, an index that went backwards after a restore) there is
  // nothing to compare with and everything may have changed.
  const bool comparable = index > 0 && seen_index_ == index && new_index >= index;
  out.everything = !comparable;
  for (const auto& stub : jobs) {
    if (!specs::parse_nomad_job_id(stub.id)) {
      continue;
    }
    const JobFingerprint fingerprint = JobFingerprint::of(stub);
    auto it = seen_.find(stub.id);
    const bool moved = comparable ? !(fingerprint == (it == seen_.end() ? JobFingerprint{} : it->second))
                                  : stub.modify_index > index;
    if (moved) {
      changed.insert(stub.id);
    }
    now[stub.id] = fingerprint;
  }
  if (comparable) {
    for (const auto& [id, fingerprint] : seen_) {
      if (!now.contains(id)) {
        changed.insert(id);  // purged
      }
    }
  }
  for (const auto& id : changed) {
    std::string job_id = specs::parse_nomad_job_id(id)->job_id;
    if (std::find(out.job_ids.begin(), out.job_ids.end(), job_id) == out.job_ids.end()) {
      out.job_ids.push_back(std::move(job_id));
    }
  }
  // A job gone from the list was purged (or collected): what was remembered of it no longer holds.
  for (const auto& [id, fingerprint] : seen_) {
    if (!now.contains(id)) {
      memory_.forget(id);
    }
  }
  seen_index_ = new_index;
  seen_ = std::move(now);
  return out;
}

void NomadExecutor::sleep_unless_interrupted(std::chrono::milliseconds pause, std::uint64_t epoch) {
  std::unique_lock lock(mutex_);
  interrupted_.wait_for(lock, pause, [&] { return watch_->epoch() != epoch; });
}

void NomadExecutor::interrupt_waits() {
  {
    // Under the mutex, so a watch about to sleep between retries either sees the new epoch or is
    // already waiting for the notification.
    std::lock_guard lock(mutex_);
    watch_->interrupt();
  }
  interrupted_.notify_all();
}

Status NomadExecutor::stop(const PhaseId& id, std::chrono::seconds /*grace: see the header*/) {
  const std::string name = specs::nomad_job_id(id);
  nomad::Jobs jobs(client_);
  auto info = jobs.info(name, query());
  if (!info) {
    return info.error().kind == ErrorKind::not_found ? Status{} : Status(info.error());
  }
  // A finished or already stopped phase: deregistering it would only add an evaluation.
  if (info->value.stop || info->value.status == "dead") {
    return {};
  }
  auto stopped = jobs.deregister(name, nomad::Purge::no, write_options());
  if (!stopped) {
    return stopped.error();
  }
  memory_.forget(name);
  return remove_build_args(id);
}

Result<std::vector<PhaseId>> NomadExecutor::list(const std::string& job_id) {
  nomad::Jobs jobs(client_);
  auto q = query();
  q.prefix = std::string(k_prefix) + (job_id.empty() ? "" : job_id + "-");
  auto listed = jobs.list(q);
  if (!listed) {
    return listed.error();
  }
  std::vector<PhaseId> out;
  for (const auto& stub : listed->value) {
    auto id = specs::parse_nomad_job_id(stub.id);
    if (id && (job_id.empty() || id->job_id == job_id)) {
      out.push_back(std::move(*id));
    }
  }
  return out;
}

Status NomadExecutor::purge(const PhaseId& id) {
  const std::string name = specs::nomad_job_id(id);
  memory_.forget(name);
  nomad::Jobs jobs(client_);
  auto purged = jobs.deregister(name, nomad::Purge::yes, write_options());
  if (!purged) {
    return purged.error();
  }
  return remove_build_args(id);
}

Status NomadExecutor::ready() {
  nomad::StatusApi status(client_);
  auto leader = status.leader(query());
  if (!leader) {
    return leader.error();
  }
  return {};
}

std::vector<FieldError> NomadExecutor::unsupported(const JobRequest& request) const {
  std::vector<FieldError> out;
  for (const auto& entry : build_secret_entries(request)) {
    const auto source = parse_build_secret_source(entry.secret->source);
    if (source && source->kind == BuildSecretSource::Kind::file) {
      out.push_back(
          {entry.field + ".source",
           "is a file of a local daemon's build secrets directory; on Nomad a build secret comes from "
           "Vault: vault:<path>#<field>"});
    }
  }
  if (request.sign) {
    const auto source = parse_build_secret_source(request.sign->key_ref);
    if (source && source->kind == BuildSecretSource::Kind::file) {
      out.push_back({"sign.key_ref",
                     "is a file of a local daemon's build secrets directory; on Nomad the signing key comes "
                     "from Vault: vault:<path>#<field>"});
    }
  }
  // Reports are copied out by the shell that runs each test command (jobs/specs/test_spec.cpp); the
  // entry-point test runs the image's own ENTRYPOINT, maybe with no shell at all, and a container's files
  // cannot be read after it ended from anywhere else in the allocation.
  if (request.test && !request.test->reports.empty()) {
    if (request.test->entry_point) {
      out.push_back({"test.reports",
                     "cannot be collected from the entry-point test on Nomad (its image's own ENTRYPOINT "
                     "runs, with no shell of ours to copy the files out after it): run the tests as "
                     "test.commands, or leave test.reports out"});
    }
    // The client interpolates ${name} in a driver's config, where the paths go (no escape exists).
    for (std::size_t i = 0; i < request.test->reports.size(); ++i) {
      if (request.test->reports[i].find("${") != std::string::npos) {
        out.push_back({"test.reports[" + std::to_string(i) + "]",
                       "must not contain '${' on Nomad, which would read it as a variable"});
      }
    }
  }
  return out;
}

}  // namespace nbs::jobs
