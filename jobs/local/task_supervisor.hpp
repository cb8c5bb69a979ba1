// Starts a task that outlives the daemon: a small supervisor program (nbs-task-supervisor, installed
// beside nbs-mcpd; task_supervisor_main.cpp), started with posix_spawn, starts the task in its own
// process group, waits for it and writes its exit status to a file. A daemon that crashes or restarts
// therefore loses nothing: the task keeps running, and its exit status is on disk when the daemon looks
// again.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "common/error.hpp"
#include "common/process.hpp"

namespace nbs::jobs {

struct TaskSpawn {
  std::vector<std::string> argv;  // argv[0] is an absolute path; never a shell line
  std::vector<std::string> env;   // "NAME=value", the task's whole environment
  std::filesystem::path work_dir;
  std::filesystem::path log_path;    // stdout and stderr, appended in arrival order
  std::filesystem::path exit_path;   // "exit <code>\n" or "signal <n>\n", written when the task ends
  std::optional<UserIdentity> user;  // switch to this user before exec (needs root)
  // When the task ends, however it ends, kill whatever it started that still runs. The supervisor is
  // the subreaper of the task's descendants, so children that left the task's process group (Buildah
  // under nbs-runner) come back to it instead of init when their parent dies.
  bool kill_descendants = false;
  // Added to the task's niceness (0 to 19): on a machine that also serves the daemon's requests, the
  // tasks yield the CPU to the daemon whenever both want it.
  int nice = 0;
  // A test task with test.reports: its container is kept after `podman run`, and the supervisor copies
  // these paths out of it into `reports_dir`, then removes it (report_collect.hpp).
  std::vector<std::string> reports;
  std::string container;
  std::filesystem::path reports_dir;
  std::vector<std::string> podman;  // the program, then its global options
};

struct SupervisedTask {
  pid_t supervisor = 0;  // the daemon's child; reap it with waitpid once the exit file exists
  pid_t task = 0;        // also the task's process group id
};

// Starts `supervisor` (the nbs-task-supervisor program) for `spawn` and waits until it reports the task's
// pid. Safe to call from any thread of a multi-threaded process, without holding any lock: posix_spawn
// neither copies the daemon's page tables nor runs any of its code in the child.
Result<SupervisedTask> spawn_supervised(const std::filesystem::path& supervisor, const TaskSpawn& spawn);

// The exit file's content: a code, or the signal that ended the task.
std::optional<ExitStatus> read_exit_file(const std::filesystem::path& path);

}  // namespace nbs::jobs
