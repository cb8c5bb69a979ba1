#include "jobs/nomad_executor/nomad_executor.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/secret_build_args.hpp"
#include "jobs/nomad/fs.hpp"
#include "jobs/nomad/status.hpp"
#include "jobs/nomad/variables.hpp"
#include "jobs/nomad_executor/alloc_state.hpp"
#include "jobs/specs/phase_specs.hpp"

namespace nbs::jobs {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view k_prefix = "nbs-";
constexpr std::string_view k_result_path =
    "alloc/result.json";  // ${NOMAD_ALLOC_DIR}/result.json (spec_parts)
constexpr std::string_view k_log_dir = "alloc/logs";
constexpr std::string_view k_runner_task = "runner";

// The newest allocation (highest CreateIndex: older ones were replaced) that has reported `task`.
const nomad::Allocation* newest_with_task(const std::vector<nomad::Allocation>& allocs,
                                          std::string_view task) {
  const nomad::Allocation* newest = nullptr;
  for (const auto& a : allocs) {
    if (a.task_states.contains(std::string(task)) &&
        (newest == nullptr || a.create_index > newest->create_index)) {
      newest = &a;
    }
  }
  return newest;
}

// Bytes of the task's stdout as Nomad addresses them: the concatenation of the rotation files
// "<task>.stdout.<n>" on disk now.
std::uint64_t stdout_size(const std::vector<nomad::AllocFileInfo>& files, const std::string& task) {
  const std::string stem = task + ".stdout.";
  std::uint64_t total = 0;
  for (const auto& f : files) {
    const std::string_view n = f.name;
    if (!f.is_dir && n.starts_with(stem) && n.size() > stem.size() &&
        std::all_of(n.begin() + static_cast<std::ptrdiff_t>(stem.size()), n.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      total += f.size;
    }
  }
  return total;
}

// Whether a phase job has the task: "runner" for build/publish/cleanup, one group per test task.
bool has_task(const PhaseId& id, const nomad::JobInfo& job, const std::string& task) {
  if (id.phase != Phase::test) {
    return task == k_runner_task;
  }
  return std::find(job.task_groups.begin(), job.task_groups.end(), task) != job.task_groups.end();
}

// Whether a group of the job has no allocation: only then can evaluations say why (placement).
bool has_unplaced_group(const nomad::JobInfo& job, const std::vector<nomad::Allocation>& allocs) {
  return std::any_of(job.task_groups.begin(), job.task_groups.end(), [&](const std::string& group) {
    return std::none_of(allocs.begin(), allocs.end(),
                        [&](const nomad::Allocation& a) { return a.task_group == group; });
  });
}

// The bytes [begin, end) of a log of `total` bytes that read_log returns, as the local executor does:
// from the start, [offset, offset + max_bytes); from the end, the max_bytes before the last `offset`.
std::pair<std::uint64_t, std::uint64_t> log_window(LogOrigin origin, std::uint64_t offset,
                                                   std::size_t max_bytes, std::uint64_t total) {
  if (origin == LogOrigin::end) {
    const std::uint64_t end = offset >= total ? 0 : total - offset;
    return {end > max_bytes ? end - max_bytes : 0, end};
  }
  const std::uint64_t begin = std::min(offset, total);
  return {begin, std::min<std::uint64_t>(total, begin + max_bytes)};
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
  const nomad::Allocation* alloc = newest_with_task(allocs->value, k_runner_task);
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

Result<LogChunk> NomadExecutor::read_log(const PhaseId& id, const std::string& task, LogOrigin origin,
                                         std::uint64_t offset, std::size_t max_bytes) {
  const std::string name = specs::nomad_job_id(id);
  // Where the task ran, as last seen (by observe or an earlier read): the read then costs one request
  // (fs/logs) for a finished task whose log size is known, else two (fs/ls, fs/logs).
  if (auto memo = memory_.task(name, task)) {
    auto chunk = read_log_at(name, task, *memo, origin, offset, max_bytes, Lookup::remembered);
    if (chunk || chunk.error().kind != ErrorKind::not_found) {
      return chunk;
    }
    memory_.forget(name);  // Nomad no longer knows that allocation (collected): look again
  }
  auto allocs = allocations_of(name);
  if (!allocs) {
    return allocs.error();
  }
  const nomad::Allocation* alloc = newest_with_task(*allocs, task);
  if (alloc == nullptr) {
    // Not started yet (an empty log), or no such phase or task.
    nomad::Jobs jobs(client_);
    auto info = jobs.info(name, query());
    if (!info) {
      return info.error().kind == ErrorKind::not_found
                 ? make_error(ErrorKind::not_found, "logs: phase " + name + " not found")
                 : info.error();
    }
    if (!has_task(id, info->value, task)) {
      return make_error(ErrorKind::not_found, "logs: task '" + task + "' not found in " + name);
    }
    return LogChunk{};
  }
  const nomad::TaskMemo at{.alloc_id = alloc->id, .finished = alloc->task_states.at(task).state == "dead"};
  return read_log_at(name, task, at, origin, offset, max_bytes, Lookup::fresh);
}

// The window of the task's stdout in allocation `at`. A missing log directory is an empty log. Nomad's
// 404 for the logs (an allocation it no longer knows, a task not started) is an error for a
// remembered allocation (the caller looks it up again) and the end of the log otherwise.
Result<LogChunk> NomadExecutor::read_log_at(const std::string& name, const std::string& task,
                                            const nomad::TaskMemo& at, LogOrigin origin, std::uint64_t offset,
                                            std::size_t max_bytes, Lookup lookup) {
  nomad::Fs fs(client_);
  LogChunk chunk;
  if (at.log_size) {
    chunk.total_size = *at.log_size;
  } else {
    auto files = fs.ls(at.alloc_id, k_log_dir, query());
    if (!files) {
      // No log directory yet (invalid_argument: Nomad's 400 for a missing path) is an empty log.
      return files.error().kind == ErrorKind::invalid_argument ? Result<LogChunk>(chunk) : files.error();
    }
    chunk.total_size = stdout_size(*files, task);
    if (at.finished) {
      memory_.remember_log_size(name, task, at.alloc_id, chunk.total_size);
    }
  }
  const auto [begin, end] = log_window(origin, offset, max_bytes, chunk.total_size);
  chunk.offset = begin;
  if (begin >= end) {
    return chunk;
  }
  const std::size_t wanted = static_cast<std::size_t>(end - begin);
  // A window up to the end of a remembered size asks for one byte more: receiving it means the log
  // was still being written when its size was taken (the task's last lines can land just after it is
  // reported dead), and the read starts over with a fresh size.
  const bool check_size = at.log_size && end == chunk.total_size;
  const std::size_t asked = wanted + (check_size ? 1 : 0);
  chunk.bytes.reserve(asked);
  // From the start at an absolute offset, so the window matches the size read above even while the
  // task keeps writing; the read stops as soon as it has the window, however long the log is.
  nomad::LogRequest request{
      .alloc_id = at.alloc_id, .task = task, .origin = nomad::LogOrigin::start, .offset = begin};
  auto read = fs.logs_plain(
      request,
      [&](std::string_view bytes, const nomad::LogPosition&) {
        chunk.bytes.append(bytes.substr(0, asked - chunk.bytes.size()));
        return chunk.bytes.size() < asked;
      },
      query());
  if (!read && (read.error().kind != ErrorKind::not_found || lookup == Lookup::remembered)) {
    return read.error();
  }
  if (chunk.bytes.size() > wanted) {
    nomad::TaskMemo fresh = at;
    fresh.log_size.reset();
    memory_.forget_log_size(name, task);
    return read_log_at(name, task, fresh, origin, offset, max_bytes, lookup);
  }
  return chunk;
}

Result<std::string> NomadExecutor::read_result(const PhaseId& id) {
  const std::string name = specs::nomad_job_id(id);
  // The result file of a finished runner never changes: read once.
  if (auto kept = memory_.result(name)) {
    return std::move(*kept);
  }
  auto no_result = [&](const std::string& why) {
    return make_error(ErrorKind::not_found, "result: " + name + " has written no result" + why);
  };
  auto read = [&](const std::string& alloc_id, bool finished) -> Result<std::string> {
    nomad::Fs fs(client_);
    auto text = fs.cat(alloc_id, k_result_path, config_.max_result_bytes, query());
    if (text && finished) {
      memory_.remember_result(name, *text);
    }
    return text;
  };
  // The runner's allocation as observe() saw it finish: one request (fs/cat), unless Nomad no longer
  // knows the allocation (404), which the lookup below then reports.
  if (auto memo = memory_.task(name, std::string(k_runner_task)); memo && memo->finished) {
    auto text = read(memo->alloc_id, true);
    if (text) {
      return text;
    }
    if (text.error().kind == ErrorKind::invalid_argument) {
      return no_result(" (" + text.error().message + ")");  // Nomad answers a missing file with 400
    }
    if (text.error().kind != ErrorKind::not_found) {
      return text.error();
    }
    memory_.forget(name);
  }
  auto allocs = allocations_of(name);
  if (!allocs) {
    return allocs.error();
  }
  const nomad::Allocation* alloc = newest_with_task(*allocs, k_runner_task);
  if (alloc == nullptr) {
    return no_result("");
  }
  auto text = read(alloc->id, alloc->task_states.at(std::string(k_runner_task)).state == "dead");
  if (!text) {
    // Nomad answers a missing file with 400 and the stat error.
    const ErrorKind kind = text.error().kind;
    return kind == ErrorKind::invalid_argument || kind == ErrorKind::not_found
               ? no_result(" (" + text.error().message + ")")
               : text.error();
  }
  return std::move(*text);
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

}  // namespace nbs::jobs
