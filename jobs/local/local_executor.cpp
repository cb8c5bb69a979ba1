// LocalExecutor: creating it, and what the orchestrator asks of a phase once started (observe, wait,
// logs, result, stop, list, purge) and of the executor as a whole (sweep, ready). Starting a phase is
// in phase_start.cpp, the thread that runs and settles tasks in task_monitor.cpp.
#include "jobs/local/local_executor.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <sys/eventfd.h>
#include <unistd.h>

#include "jobs/local/phase_files.hpp"
#include "jobs/local/phase_run.hpp"
#include "jobs/local/test_container.hpp"

namespace nbs::jobs {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

Result<std::unique_ptr<LocalExecutor>> LocalExecutor::create(LocalExecutorConfig config) {
  std::error_code ec;
  fs::create_directories(config.state_dir / "phases", ec);
  if (ec) {
    return make_error(
        ErrorKind::unavailable,
        "local executor: cannot create " + (config.state_dir / "phases").string() + ": " + ec.message());
  }
  if (config.supervisor_path.empty() || ::access(config.supervisor_path.c_str(), X_OK) != 0) {
    return make_error(ErrorKind::unavailable, "local executor: " + config.supervisor_path.string() +
                                                  " is not an executable file (nbs-task-supervisor is "
                                                  "installed beside nbs-mcpd)");
  }
  std::unique_ptr<LocalExecutor> executor(new LocalExecutor(std::move(config)));
  if (!executor->monitor_wake_) {
    return make_error(ErrorKind::unavailable,
                      std::string("local executor: eventfd: ") + std::strerror(errno));
  }
  if (!executor->config_.build_user.empty() && ::geteuid() == 0) {
    auto user = lookup_user(executor->config_.build_user);
    if (!user) {
      return user.error();
    }
    executor->user_ = std::move(*user);
  }
  executor->podman_.program = executor->config_.podman_path;
  if (!executor->config_.podman_storage.empty()) {
    auto storage = prepare_podman_storage(executor->config_.podman_storage, executor->config_.storage_driver,
                                          executor->user_);
    if (!storage) {
      return storage.error();
    }
    executor->podman_.global_args = std::move(*storage);
  }
  executor->recover();
  // Containers a killed daemon left behind: nothing would ever stop them.
  if (auto swept = executor->sweep(); !swept) {
    return make_error(swept.error().kind, "local executor: " + swept.error().message);
  }
  executor->monitor_ = std::thread([e = executor.get()] { e->monitor_loop(); });
  return executor;
}

LocalExecutor::LocalExecutor(LocalExecutorConfig config)
    : config_(std::move(config)), monitor_wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

LocalExecutor::~LocalExecutor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  wake_monitor();
  if (monitor_.joinable()) {
    monitor_.join();
  }
  // Tasks keep running on purpose: a restarted daemon picks them up.
}

fs::path LocalExecutor::phase_dir(const PhaseId& id) const {
  return config_.state_dir / "phases" / id.name();
}

PhaseObservation LocalExecutor::observe_locked(const PhaseRun& phase) const {
  PhaseObservation o;
  o.started_at = phase.started_at;
  o.finished_at = phase.finished_at;
  bool any_running = false, any_pending = false, any_failed = false, any_lost = false;
  for (const auto& task : phase.tasks) {
    TaskObservation t{task.name, task.state, task.exit ? task.exit->code : std::nullopt, ""};
    if (!task.launch_error.empty()) {
      t.message = "could not start: " + task.launch_error;
    } else if (!task.diagnosis.empty()) {
      t.message = task.diagnosis;
    } else if (task.exit) {
      t.message = task.stop_requested ? "stopped (" + task.exit->describe() + ")" : task.exit->describe();
    } else if (task.state == PhaseState::lost) {
      t.message = "the process vanished without an exit status";
    }
    any_running |= task.state == PhaseState::running;
    any_pending |= task.state == PhaseState::pending;
    any_failed |= task.state == PhaseState::failed;
    any_lost |= task.state == PhaseState::lost;
    if ((task.state == PhaseState::failed || task.state == PhaseState::lost) && o.message.empty()) {
      o.message = task.name + ": " + t.message;
    }
    o.tasks.push_back(std::move(t));
  }
  o.state = any_failed    ? PhaseState::failed
            : any_lost    ? PhaseState::lost
            : any_running ? PhaseState::running
            : any_pending ? PhaseState::pending
                          : PhaseState::succeeded;
  if (o.state == PhaseState::pending && o.message.empty()) {
    o.message =
        "waiting for a free slot (" + std::to_string(config_.max_running_tasks) + " tasks run at once)";
  }
  return o;
}

Result<PhaseObservation> LocalExecutor::observe(const PhaseId& id) {
  std::lock_guard lock(mutex_);
  auto it = phases_.find(id.name());
  if (it == phases_.end()) {
    return PhaseObservation{};
  }
  return observe_locked(*it->second);
}

Result<Changes> LocalExecutor::wait_for_change(std::uint64_t index, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const std::uint64_t interruptions = interruptions_;
  changed_.wait_for(lock, timeout,
                    [&] { return generation_ > index || stopping_ || interruptions_ != interruptions; });
  Changes changes{.index = generation_};
  changes.everything = index == 0 || recent_.empty() || recent_.front().first > index + 1;
  for (const auto& [generation, job] : recent_) {
    if (generation > index &&
        std::find(changes.job_ids.begin(), changes.job_ids.end(), job) == changes.job_ids.end()) {
      changes.job_ids.push_back(job);
    }
  }
  return changes;
}

void LocalExecutor::interrupt_waits() {
  {
    std::lock_guard lock(mutex_);
    ++interruptions_;
  }
  changed_.notify_all();
}

Result<LogChunk> LocalExecutor::read_log(const PhaseId& id, const std::string& task, LogOrigin origin,
                                         std::uint64_t offset, std::size_t max_bytes) {
  fs::path path;
  {
    std::lock_guard lock(mutex_);
    auto it = phases_.find(id.name());
    if (it == phases_.end()) {
      return make_error(ErrorKind::not_found, "logs: phase " + id.name() + " not found");
    }
    const auto& tasks = it->second->tasks;
    auto t = std::find_if(tasks.begin(), tasks.end(), [&](const Task& x) { return x.name == task; });
    if (t == tasks.end()) {
      return make_error(ErrorKind::not_found, "logs: task '" + task + "' not found in " + id.name());
    }
    path = t->dir / "output.log";
  }
  std::ifstream in(path, std::ios::binary);
  LogChunk chunk;
  if (!in) {
    return chunk;  // not started yet: an empty log
  }
  in.seekg(0, std::ios::end);
  chunk.total_size = static_cast<std::uint64_t>(in.tellg());
  std::uint64_t begin = 0;
  std::uint64_t end = chunk.total_size;
  if (origin == LogOrigin::end) {
    end = offset >= chunk.total_size ? 0 : chunk.total_size - offset;
    begin = end > max_bytes ? end - max_bytes : 0;
  } else {
    begin = std::min(offset, chunk.total_size);
    end = std::min<std::uint64_t>(chunk.total_size, begin + max_bytes);
  }
  chunk.offset = begin;
  chunk.bytes.resize(end - begin);
  in.seekg(static_cast<std::streamoff>(begin));
  in.read(chunk.bytes.data(), static_cast<std::streamsize>(chunk.bytes.size()));
  chunk.bytes.resize(static_cast<std::size_t>(in.gcount()));
  return chunk;
}

Result<std::string> LocalExecutor::read_result(const PhaseId& id) {
  auto text = read_file(phase_dir(id) / "result.json");
  if (!text) {
    return make_error(ErrorKind::not_found, "result: " + id.name() + " has written no result");
  }
  return *text;
}

Status LocalExecutor::stop(const PhaseId& id, std::chrono::seconds grace) {
  std::lock_guard lock(mutex_);
  auto it = phases_.find(id.name());
  if (it == phases_.end()) {
    return {};
  }
  bool stopping = false;
  for (auto& task : it->second->tasks) {
    if (task.stop_requested) {
      continue;
    }
    task.stop_requested = true;
    write_private_file(task.dir / "stop", format_utc(now_utc()) + "\n");
    if (task.state == PhaseState::running || task.launching) {
      if (!task.launching) {
        ::kill(-task.pid, SIGTERM);  // a launching task gets it once its start is recorded
      }
      task.kill_at = Clock::now() + grace;
      stopping = true;
    }
  }
  if (stopping && !it->second->test_image.empty()) {
    // Stopping `podman run` leaves its container running: stop and remove the containers themselves.
    run_podman(*it->second, "container-removal", remove_phase_containers_argv(podman_, id.name(), grace));
  }
  note_change(id.job_id);
  return {};
}

Result<std::vector<PhaseId>> LocalExecutor::list(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  std::vector<PhaseId> out;
  for (const auto& [name, phase] : phases_) {
    if (job_id.empty() || phase->id.job_id == job_id) {
      out.push_back(phase->id);
    }
  }
  return out;
}

Status LocalExecutor::purge(const PhaseId& id) {
  std::string image;
  {
    std::lock_guard lock(mutex_);
    auto it = phases_.find(id.name());
    if (it == phases_.end()) {
      return {};
    }
    if (it->second->live()) {
      return make_error(ErrorKind::conflict, "purge: " + id.name() + " is still running; stop it first");
    }
    image = it->second->test_image;
  }
  if (!image.empty()) {
    // Nothing of the phase may outlive its record: its containers and its image go first (podman runs
    // without the lock held).
    for (const auto& argv : {remove_phase_containers_argv(podman_, id.name(), std::chrono::seconds(0)),
                             remove_image_argv(podman_, image)}) {
      auto done = podman(argv);
      if (!done || !done->status.success()) {
        return make_error(
            ErrorKind::unavailable,
            "purge: " + id.name() + ": " + format_argv(argv) + " failed: " +
                (done ? done->status.describe() + ": " + done->err.substr(0, 500) : done.error().message));
      }
    }
  }
  std::unique_lock lock(mutex_);
  auto it = phases_.find(id.name());
  if (it == phases_.end()) {
    return {};
  }
  // A background podman command of the phase (the untag after its tests) writes its log into the
  // directory: removing it meanwhile fails ("Directory not empty") or leaves a stray file.
  const fs::path dir = it->second->dir;
  if (!settle_helpers(lock, dir, std::chrono::seconds(30))) {
    return make_error(ErrorKind::unavailable,
                      "purge: " + id.name() + ": a podman command of the phase is still running; try again");
  }
  it = phases_.find(id.name());
  if (it == phases_.end()) {
    return {};
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) {
    return make_error(ErrorKind::unavailable,
                      "purge: cannot remove " + it->second->dir.string() + ": " + ec.message());
  }
  phases_.erase(it);
  note_change(id.job_id);
  return {};
}

Result<Captured> LocalExecutor::podman(std::vector<std::string> argv) const {
  return capture_process(Command{.argv = std::move(argv),
                                 .env = task_environment(PhaseId{}),
                                 .working_dir = config_.state_dir.string(),
                                 .run_as = user_},
                         RunOptions{.deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2)});
}

Result<std::vector<std::string>> LocalExecutor::sweep() {
  auto listed = podman(list_containers_argv(podman_, config_.state_dir.string()));
  if (!listed) {
    return listed.error();
  }
  if (!listed->status.success()) {
    return make_error(ErrorKind::unavailable,
                      "podman ps failed (" + listed->status.describe() + "): " + listed->err.substr(0, 500));
  }
  std::vector<std::string> doomed;
  bool any_live = false;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, phase] : phases_) {
      any_live = any_live || phase->live();
    }
    std::istringstream lines(listed->out);
    std::string name, phase_name;
    while (lines >> name >> phase_name) {
      auto it = phases_.find(phase_name);
      if (it == phases_.end() || !it->second->live()) {
        doomed.push_back(name);
      }
    }
  }
  std::vector<std::string> removed_lines;
  if (!doomed.empty()) {
    std::vector<std::string> argv = podman_.argv({"rm", "--force", "--ignore", "--time", "0"});
    argv.insert(argv.end(), doomed.begin(), doomed.end());
    auto removed = podman(std::move(argv));
    if (!removed) {
      return removed.error();
    }
    if (!removed->status.success()) {
      return make_error(ErrorKind::unavailable, "podman rm failed (" + removed->status.describe() +
                                                    "): " + removed->err.substr(0, 500));
    }
    for (const auto& name : doomed) {
      removed_lines.push_back("container " + name);
    }
  }
  // The layers of untagged test images, only while no pull of ours can be sharing them.
  if (!any_live) {
    auto pruned = podman(prune_images_argv(podman_));
    if (pruned && pruned->status.success()) {
      std::istringstream ids(pruned->out);
      for (std::string id; ids >> id;) {
        removed_lines.push_back("image " + id);
      }
    }
  }
  return removed_lines;
}

Status LocalExecutor::ready() {
  const fs::path probe = config_.state_dir / "phases" / ".ready";
  if (!write_private_file(probe, "ok\n")) {
    return make_error(ErrorKind::unavailable,
                      "local executor: state directory " + config_.state_dir.string() + " is not writable");
  }
  return {};
}

}  // namespace nbs::jobs
