#include "jobs/nomad/nomad_executor.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "jobs/nomad/alloc_state.hpp"
#include "jobs/nomad/fs.hpp"
#include "jobs/nomad/status.hpp"
#include "jobs/specs/phase_specs.hpp"

namespace nbs::jobs {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view k_prefix = "nbs-";
constexpr std::string_view k_result_path = "alloc/result.json";  // ${NOMAD_ALLOC_DIR}/result.json (spec_parts)
constexpr std::string_view k_log_dir = "alloc/logs";
constexpr std::string_view k_runner_task = "runner";

// The newest allocation (highest CreateIndex: older ones were replaced) that has reported `task`.
const nomad::Allocation* newest_with_task(const std::vector<nomad::Allocation>& allocs, std::string_view task) {
  const nomad::Allocation* newest = nullptr;
  for (const auto& a : allocs) {
    if (a.task_states.contains(std::string(task)) && (newest == nullptr || a.create_index > newest->create_index)) {
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
    return std::none_of(allocs.begin(), allocs.end(), [&](const nomad::Allocation& a) { return a.task_group == group; });
  });
}

// The bytes [begin, end) of a log of `total` bytes that read_log returns, as the local executor does:
// from the start, [offset, offset + max_bytes); from the end, the max_bytes before the last `offset`.
std::pair<std::uint64_t, std::uint64_t> log_window(LogOrigin origin, std::uint64_t offset, std::size_t max_bytes,
                                                   std::uint64_t total) {
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
  return std::unique_ptr<NomadExecutor>(new NomadExecutor(std::move(config), std::move(*client), std::move(*watch)));
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

NomadExecutor::~NomadExecutor() { interrupt_waits(); }

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
    if (id && id->job_id == job_id && id->phase == Phase::build && (!newest || id->attempt > newest->attempt)) {
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
  const std::string build_node = launch.id.phase == Phase::test ? build_node_of(launch.id.job_id) : std::string();
  auto job = specs::phase_job_spec(launch, config_.specs, build_node);
  if (!job) {
    return job.error();
  }
  nomad::Jobs jobs(client_);
  auto registered = jobs.enforce_register(*job, 0, write_options());
  // A conflict: the job exists already, so this start is a repeat (a restarted daemon, a second replica).
  if (!registered && registered.error().kind != ErrorKind::conflict) {
    return registered.error();
  }
  return {};
}

Result<PhaseObservation> NomadExecutor::observe(const PhaseId& id) {
  const std::string name = specs::nomad_job_id(id);
  nomad::Jobs jobs(client_);
  auto info = jobs.info(name, query());
  if (!info) {
    // No job: never started, or purged. Nomad may keep a purged job's allocations until its garbage
    // collection, but the executor has forgotten the phase (the contract of purge()).
    if (info.error().kind == ErrorKind::not_found) {
      return PhaseObservation{};
    }
    return info.error();
  }
  nomad::PhaseSnapshot snapshot;
  snapshot.job = std::move(info->value);
  auto allocs = jobs.allocations(name, query());
  if (!allocs) {
    return allocs.error();
  }
  snapshot.allocations = std::move(allocs->value);
  // Most of the time every group has an allocation, and the call for evaluations is saved.
  if (has_unplaced_group(*snapshot.job, snapshot.allocations)) {
    auto evals = jobs.evaluations(name, query());
    if (!evals) {
      return evals.error();
    }
    snapshot.evaluations = std::move(evals->value);
  }
  return nomad::observe_phase(snapshot);
}

// Why GET /v1/jobs?prefix=nbs- and not the allocations: it holds exactly our jobs (a prefix the
// allocation list cannot filter on), it changes when one of them is registered, stopped or purged
// (which no allocation shows: a phase that cannot be placed has none), and Nomad answers it with the
// higher of the jobs and job_summary table indexes, so it also wakes when an allocation of ours
// changes client status (Starting → Running → Complete/Failed are the summary's counts). Each stub
// carries its ModifyIndex, Status, Stop and summary, which tell which jobs changed. Task events that
// change no client status (a restart inside an allocation) do not wake it; the orchestrator's periodic
// look at active jobs covers those.
Result<Changes> NomadExecutor::wait_for_change(std::uint64_t index, std::chrono::milliseconds timeout) {
  const std::uint64_t epoch = watch_->epoch();
  nomad::Client client(config_.nomad, watch_->bound(epoch),
                       [this, epoch](std::chrono::milliseconds pause) { sleep_unless_interrupted(pause, epoch); });
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

Changes NomadExecutor::diff(std::uint64_t index, std::uint64_t new_index, const std::vector<nomad::JobListStub>& jobs) {
  std::map<std::string, JobFingerprint> now;
  for (const auto& stub : jobs) {
    if (specs::parse_nomad_job_id(stub.id)) {
      now[stub.id] = JobFingerprint{stub.modify_index, stub.status, stub.stop, stub.summary};
    }
  }
  Changes out{.index = new_index};
  std::set<std::string> changed;  // Nomad job ids
  std::lock_guard lock(mutex_);
  // The last answer describes the state at `index` only if it was taken at that index; otherwise
  // (the first call, another caller's index, an index that went backwards after a restore) there is
  // nothing to compare with and everything may have changed.
  const bool comparable = index > 0 && seen_index_ == index && new_index >= index;
  out.everything = !comparable;
  for (const auto& [id, fingerprint] : now) {
    auto it = seen_.find(id);
    const bool moved = comparable ? (it == seen_.end() || !(it->second == fingerprint))
                                  : fingerprint.modify_index > index;
    if (moved) {
      changed.insert(id);
    }
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
  nomad::Jobs jobs(client_);
  auto allocs = jobs.allocations(name, query());
  if (!allocs) {
    return allocs.error();
  }
  const nomad::Allocation* alloc = newest_with_task(allocs->value, task);
  if (alloc == nullptr) {
    // Not started yet (an empty log), or no such phase or task.
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
  nomad::Fs fs(client_);
  LogChunk chunk;
  auto files = fs.ls(alloc->id, k_log_dir, query());
  if (!files) {
    // No log directory yet (invalid_argument: Nomad's 400 for a missing path) is an empty log.
    return files.error().kind == ErrorKind::invalid_argument ? Result<LogChunk>(chunk) : files.error();
  }
  chunk.total_size = stdout_size(*files, task);
  const auto [begin, end] = log_window(origin, offset, max_bytes, chunk.total_size);
  chunk.offset = begin;
  if (begin >= end) {
    return chunk;
  }
  const std::size_t wanted = static_cast<std::size_t>(end - begin);
  chunk.bytes.reserve(wanted);
  // From the start at an absolute offset, so the window matches the size read above even while the
  // task keeps writing; the read stops as soon as it has the window, however long the log is.
  nomad::LogRequest request{.alloc_id = alloc->id, .task = task, .origin = nomad::LogOrigin::start, .offset = begin};
  auto read = fs.logs_plain(
      request,
      [&](std::string_view bytes, const nomad::LogPosition&) {
        chunk.bytes.append(bytes.substr(0, wanted - chunk.bytes.size()));
        return chunk.bytes.size() < wanted;
      },
      query());
  if (!read && read.error().kind != ErrorKind::not_found) {
    return read.error();
  }
  return chunk;
}

Result<std::string> NomadExecutor::read_result(const PhaseId& id) {
  const std::string name = specs::nomad_job_id(id);
  auto no_result = [&](const std::string& why) {
    return make_error(ErrorKind::not_found, "result: " + name + " has written no result" + why);
  };
  nomad::Jobs jobs(client_);
  auto allocs = jobs.allocations(name, query());
  if (!allocs) {
    return allocs.error();
  }
  const nomad::Allocation* alloc = newest_with_task(allocs->value, k_runner_task);
  if (alloc == nullptr) {
    return no_result("");
  }
  nomad::Fs fs(client_);
  auto text = fs.cat(alloc->id, k_result_path, config_.max_result_bytes, query());
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
  return {};
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
  nomad::Jobs jobs(client_);
  auto purged = jobs.deregister(specs::nomad_job_id(id), nomad::Purge::yes, write_options());
  if (!purged) {
    return purged.error();
  }
  return {};
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
