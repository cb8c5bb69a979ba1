// LocalExecutor's monitor thread: starts the pending tasks as slots free up (without holding the lock
// while a process starts), notices their ends (pidfds, exit files, liveness), settles them, runs the
// podman helpers that remove test containers and images, and tells waiters what changed.
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <tuple>
#include <unistd.h>

#include "jobs/local/phase_files.hpp"
#include "jobs/local/phase_run.hpp"
#include "jobs/local/test_container.hpp"

namespace nbs::jobs {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::vector<std::string> LocalExecutor::task_environment(const PhaseId& id) const {
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                               "LANG=C.UTF-8", "NBS_JOB_ID=" + id.job_id,
                               "NBS_PHASE=" + std::string(to_string(id.phase))};
  env.push_back("HOME=" + (user_ ? user_->home : std::string(getenv("HOME") ? getenv("HOME") : "/")));
  if (user_) {
    env.push_back("USER=" + config_.build_user);
  }
  env.insert(env.end(), config_.task_env.begin(), config_.task_env.end());
  return env;
}

LocalExecutor::Launch LocalExecutor::prepare_launch(const PhaseRun& phase, std::size_t task_index) const {
  const Task& task = phase.tasks[task_index];
  std::vector<std::string> env = task_environment(phase.id);
  env.insert(env.end(), task.process_env.begin(), task.process_env.end());
  return Launch{.phase = phase.id.name(),
                .task_index = task_index,
                .spawn = TaskSpawn{.argv = task.argv,
                                   .env = std::move(env),
                                   .work_dir = phase.dir / "work",
                                   .log_path = task.dir / "output.log",
                                   .exit_path = task.dir / "exit",
                                   .user = user_,
                                   // nbs-runner starts Buildah in groups of its own: a killed runner
                                   // must not leave them running.
                                   .kill_descendants = phase.test_image.empty(),
                                   .nice = config_.task_nice,
                                   .reports = task.reports,
                                   .container = task.container,
                                   .reports_dir = task.dir / "reports",
                                   .podman = podman_.argv({})}};
}

void LocalExecutor::launch_unlocked(std::unique_lock<std::mutex>& lock, std::vector<Launch> launches) {
  std::vector<TaskSpawn> helpers;
  helpers.swap(helper_queue_);
  for (const auto& helper : helpers) {
    helpers_.push_back({0, helper.work_dir});  // seen by purge while they start
  }
  lock.unlock();
  std::vector<Result<SupervisedTask>> started;
  started.reserve(launches.size());
  for (const auto& launch : launches) {
    started.push_back(spawn_supervised(config_.supervisor_path, launch.spawn));
  }
  std::vector<Result<SupervisedTask>> helpers_started;
  helpers_started.reserve(helpers.size());
  for (const auto& helper : helpers) {
    helpers_started.push_back(spawn_supervised(config_.supervisor_path, helper));
  }
  lock.lock();
  for (std::size_t i = 0; i < launches.size(); ++i) {
    auto it = phases_.find(launches[i].phase);
    if (it == phases_.end()) {
      continue;  // cannot happen: purge refuses a phase with a pending task
    }
    record_launch(it->second->tasks[launches[i].task_index], started[i]);
    note_change(it->second->id.job_id);
  }
  for (std::size_t i = 0; i < helpers.size(); ++i) {
    // Entries starting for one phase are alike: any of them takes the pid (a purge may have reaped
    // others meanwhile, so positions do not hold).
    auto entry = std::find_if(helpers_.begin(), helpers_.end(), [&](const Helper& h) {
      return h.pid == 0 && h.phase_dir == helpers[i].work_dir;
    });
    if (helpers_started[i] && entry != helpers_.end()) {
      entry->pid = helpers_started[i]->supervisor;
    } else if (entry != helpers_.end()) {
      helpers_.erase(entry);
    }
    if (!helpers_started[i]) {
      std::ofstream(fs::path(helpers[i].log_path), std::ios::app)
          << "nbs: " << helpers_started[i].error().message << "\n";
    }
  }
  changed_.notify_all();
}

void LocalExecutor::record_launch(Task& task, const Result<SupervisedTask>& spawned) {
  task.launching = false;
  if (!spawned) {
    task.state = PhaseState::failed;
    task.exit = ExitStatus{127, std::nullopt};
    task.launch_error = spawned.error().message;
    write_private_file(task.dir / "exit", "exit 127\n");
    std::ofstream(task.dir / "output.log", std::ios::app) << "nbs: " << spawned.error().message << "\n";
    return;
  }
  task.supervisor = spawned->supervisor;
  task.pid = spawned->task;
  task.supervisor_is_child = true;
  // glibc 2.36's <sys/pidfd.h> lacks extern "C", hence the raw system call. Without a pidfd the poll
  // interval notices the exit.
  task.supervisor_exit = Fd(static_cast<int>(::syscall(SYS_pidfd_open, task.supervisor, 0)));
  task.state = PhaseState::running;
  write_private_file(task.dir / "pids",
                     std::to_string(task.supervisor) + " " + std::to_string(task.pid) + "\n");
  std::error_code ec;
  fs::remove(task.dir / "process-env", ec);  // the values live on in podman's environment only
  if (task.stop_requested) {
    ::kill(-task.pid, SIGTERM);  // stopped while it was starting; stop() set kill_at
  }
}

void LocalExecutor::settle(PhaseRun& phase, Task& task) {
  std::error_code ec;
  fs::remove(task.dir / "env", ec);
  fs::remove(task.dir / "process-env", ec);
  // The runner read its spec at start; a build's holds the secret build args' values. A later attempt
  // writes a spec of its own.
  fs::remove(phase.dir / "spec.json", ec);
  if (!phase.test_image.empty() && task.name != "entry-point" && task.exit && task.exit->code == 127) {
    // 127 is also a shell's "command not found"; the runtime's own message tells the two apart.
    std::ifstream log(task.dir / "output.log", std::ios::binary);
    std::string head(8192, '\0');
    log.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(log.gcount()));
    if (reports_missing_shell(head)) {
      task.diagnosis = std::string(k_missing_shell_message);
    }
  }
}

void LocalExecutor::run_podman(const PhaseRun& phase, const std::string& what,
                               std::vector<std::string> argv) {
  helper_queue_.push_back(TaskSpawn{.argv = std::move(argv),
                                    .env = task_environment(phase.id),
                                    .work_dir = phase.dir,
                                    .log_path = phase.dir / (what + ".log"),
                                    .exit_path = phase.dir / (what + ".exit"),
                                    .user = user_,
                                    .nice = config_.task_nice});
  wake_monitor();
}

void LocalExecutor::reap_helpers() {
  const std::size_t before = helpers_.size();
  std::erase_if(helpers_,
                [](const Helper& h) { return h.pid != 0 && ::waitpid(h.pid, nullptr, WNOHANG) != 0; });
  if (helpers_.size() != before) {
    changed_.notify_all();
  }
}

bool LocalExecutor::settle_helpers(std::unique_lock<std::mutex>& lock, const fs::path& phase_dir,
                                   std::chrono::milliseconds limit) {
  std::erase_if(helper_queue_, [&](const TaskSpawn& s) { return s.work_dir == phase_dir; });
  const auto deadline = Clock::now() + limit;
  for (;;) {
    reap_helpers();
    if (std::none_of(helpers_.begin(), helpers_.end(),
                     [&](const Helper& h) { return h.phase_dir == phase_dir; })) {
      return true;
    }
    if (Clock::now() >= deadline) {
      return false;
    }
    // The monitor reaps them too (and notifies); the wait is short because a helper ends without one.
    changed_.wait_for(lock, std::chrono::milliseconds(20));
  }
}

void LocalExecutor::note_change(const std::string& job_id) {
  ++generation_;
  recent_.emplace_back(generation_, job_id);
  if (recent_.size() > 512) {
    recent_.pop_front();
  }
  changed_.notify_all();
  wake_monitor();
}

bool LocalExecutor::poll_tasks(std::vector<Launch>* launches) {
  reap_helpers();
  bool changed = false;
  unsigned running = 0;
  // Queued tasks start in the order their phases were started.
  std::vector<PhaseRun*> ordered;
  for (auto& [name, phase] : phases_) {
    ordered.push_back(phase.get());
    for (auto& task : phase->tasks) {
      running += task.state == PhaseState::running || task.launching;
    }
  }
  std::sort(ordered.begin(), ordered.end(), [](const PhaseRun* a, const PhaseRun* b) {
    return std::tie(a->started_at, a->sequence) < std::tie(b->started_at, b->sequence);
  });
  for (PhaseRun* phase : ordered) {
    bool all_done = true;
    bool changed_here = false;
    for (std::size_t i = 0; i < phase->tasks.size(); ++i) {
      Task& task = phase->tasks[i];
      if (task.launching) {
        all_done = false;
        continue;  // the monitor records its start
      }
      if (task.state == PhaseState::pending && !task.stop_requested && running < config_.max_running_tasks &&
          launches != nullptr) {
        task.launching = true;
        launches->push_back(prepare_launch(*phase, i));
        ++running;
        all_done = false;
        continue;
      }
      if (task.state == PhaseState::pending && task.stop_requested) {
        task.state = PhaseState::failed;
        task.exit = ExitStatus{std::nullopt, SIGTERM};
        changed_here = true;
      }
      if (task.state == PhaseState::running) {
        if (task.supervisor_is_child && ::waitpid(task.supervisor, nullptr, WNOHANG) == task.supervisor) {
          task.supervisor_is_child = false;  // reaped: from now on only the exit file and /proc tell
          task.supervisor_exit.reset();
        }
        if (auto exit = read_exit_file(task.dir / "exit")) {
          task.exit = exit;
          task.state = exit->code == 0 ? PhaseState::succeeded : PhaseState::failed;
          settle(*phase, task);
          if (task.supervisor_is_child) {
            ::waitpid(task.supervisor, nullptr, 0);  // it exits right after writing the file
            task.supervisor_is_child = false;
            task.supervisor_exit.reset();
          }
          --running;
          changed_here = true;
        } else if (!process_alive(task.supervisor) && !process_alive(task.pid)) {
          if (auto late = read_exit_file(task.dir / "exit")) {
            continue;  // written between the two checks; settled on the next poll
          }
          task.state = PhaseState::lost;
          settle(*phase, task);
          --running;
          changed_here = true;
        } else if (task.kill_at && Clock::now() >= *task.kill_at) {
          ::kill(-task.pid, SIGKILL);
          task.kill_at.reset();
        }
      }
      all_done = all_done && task.state != PhaseState::pending && task.state != PhaseState::running;
    }
    if (all_done && !phase->finished_at) {
      phase->finished_at = now_utc();
    }
    if (all_done && !phase->build_secrets_removed) {
      // The runner has read them (or never will): no copy of a secret outlives the phase's run.
      std::error_code ec;
      fs::remove_all(phase->dir / k_build_secrets_dir, ec);
      phase->build_secrets_removed = !ec;
    }
    if (all_done && !phase->test_image.empty() && !fs::exists(phase->dir / "image-removal.exit") &&
        !phase->image_removal_started) {
      // Only the name goes now; the layers, which another phase's pull may be sharing this moment, go
      // when sweep() prunes with no phase running.
      phase->image_removal_started = true;
      run_podman(*phase, "image-removal", untag_image_argv(podman_, phase->test_image));
    }
    if (changed_here) {
      note_change(phase->id.job_id);
      changed = true;
    }
  }
  return changed;
}

void LocalExecutor::monitor_loop() {
  // Sleeps until a child supervisor exits (its pidfd), someone wakes it (a start, a stop), or the poll
  // interval passes: recovered tasks of an earlier daemon are not our children and are only polled.
  std::unique_lock lock(mutex_);
  std::vector<pollfd> fds;
  while (!stopping_) {
    std::vector<Launch> launches;
    poll_tasks(&launches);
    if (!launches.empty() || !helper_queue_.empty()) {
      launch_unlocked(lock, std::move(launches));
      continue;  // settle and pick again before sleeping: the new supervisors' pidfds join the poll
    }
    fds.assign(1, pollfd{.fd = monitor_wake_.get(), .events = POLLIN, .revents = 0});
    for (const auto& [name, phase] : phases_) {
      for (const auto& task : phase->tasks) {
        if (task.state == PhaseState::running && task.supervisor_exit) {
          fds.push_back(pollfd{.fd = task.supervisor_exit.get(), .events = POLLIN, .revents = 0});
        }
      }
    }
    lock.unlock();
    ::poll(fds.data(), fds.size(), static_cast<int>(config_.poll_interval.count()));
    std::uint64_t wakes = 0;
    if (fds[0].revents & POLLIN) {
      (void)!::read(monitor_wake_.get(), &wakes, sizeof wakes);
    }
    lock.lock();
  }
}

void LocalExecutor::wake_monitor() {
  const std::uint64_t one = 1;
  (void)!::write(monitor_wake_.get(), &one, sizeof one);
}

}  // namespace nbs::jobs
