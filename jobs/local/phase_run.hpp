// What the local executor keeps of each phase it runs: its tasks (with their processes, exits and stop
// requests) and the launches the monitor is about to make. Shared by the files that implement
// LocalExecutor (local_executor.cpp, phase_start.cpp, task_monitor.cpp); nothing else includes it.
#pragma once

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/fd.hpp"
#include "common/process.hpp"
#include "jobs/local/local_executor.hpp"
#include "jobs/local/task_supervisor.hpp"

namespace nbs::jobs {

// One task of a phase as the executor tracks it. Files under <phase dir>/tasks/<name>/: output.log,
// exit (written by the supervisor), pids ("<supervisor> <task>"), stop (a stop was asked for).
struct LocalExecutor::Task {
  std::string name;
  std::vector<std::string> argv;
  std::filesystem::path dir;
  pid_t supervisor = 0;
  pid_t pid = 0;  // also its process group
  bool supervisor_is_child = false;
  bool launching = false;  // picked to start: the monitor is starting it without the lock
  Fd supervisor_exit;      // pidfd of a child supervisor: readable when it exits, which wakes the monitor
  PhaseState state = PhaseState::pending;
  std::optional<ExitStatus> exit;
  std::optional<std::chrono::steady_clock::time_point> kill_at;  // SIGKILL then, if still running
  bool stop_requested = false;
  std::string launch_error;  // why it could not start (this process only; the log keeps it too)
  std::string diagnosis;     // what its exit means, when the exit code alone misleads (no /bin/sh)
  std::vector<std::string> process_env;  // test tasks: multi-line env values, named by `--env NAME`
  std::vector<std::string> reports;      // test tasks: test.reports, copied out of `container` at the end
  std::string container;
};

struct LocalExecutor::PhaseRun {
  PhaseId id;
  std::uint64_t sequence = 0;  // start order within this process, for equal start times
  std::filesystem::path dir;
  std::vector<Task> tasks;
  std::optional<SystemTime> started_at;
  std::optional<SystemTime> finished_at;
  std::string test_image;  // test phases: the image podman pulled, removed when the phase ends
  bool image_removal_started = false;
  bool build_secrets_removed = false;  // its build-secrets copies are gone (or there were none)

  // Some task of the phase is still pending or running.
  bool live() const {
    return std::any_of(tasks.begin(), tasks.end(), [](const Task& t) {
      return t.state == PhaseState::running || t.state == PhaseState::pending;
    });
  }
};

// A task the monitor is about to start: what poll_tasks() picked, prepared under the lock.
struct LocalExecutor::Launch {
  std::string phase;  // PhaseId::name(); a phase with a launching task cannot be purged
  std::size_t task_index = 0;
  TaskSpawn spawn;
};

}  // namespace nbs::jobs
