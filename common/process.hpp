// Child processes started from an argv vector (never a shell line) and supervised by one poll loop:
// a new process group, stdin from /dev/null, stdout and stderr on two pipes read in arrival order with
// their stream tag, an optional user switch, an explicit environment, a deadline and a graceful stop.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "common/error.hpp"
#include "common/phase_log.hpp"
#include "common/process_stop.hpp"
#include "common/secret_masker.hpp"

namespace nbs {

// A user to run a child as (the build user when the runner is root).
struct UserIdentity {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups, the primary one included
  std::string home;
};

// Looks `name` up in the user database; not_found if there is no such user.
Result<UserIdentity> lookup_user(std::string_view name);

struct Command {
  // argv[0] is the program: a path, or a name searched in the PATH of `env` (the parent's PATH when
  // the environment is inherited).
  std::vector<std::string> argv;
  // "NAME=value" entries; nullopt inherits the parent's environment.
  std::optional<std::vector<std::string>> env;
  std::string working_dir;             // empty: the parent's
  std::optional<UserIdentity> run_as;  // switches uid, gid and groups in the child (needs root)
  // The child's process group is SIGKILLed once the command is over or this process dies, even by
  // SIGKILL (a sentinel process in the group watches a pipe): for tools whose trees must not outlive
  // us (buildah's user-namespace helper and RUN steps, podman), since the group is our child's own and
  // a kill of our group or our process does not reach it.
  bool group_ends_with_parent = false;
};

// How a child ended: an exit code, or the signal that killed it.
struct ExitStatus {
  std::optional<int> code;
  std::optional<int> signal;

  bool success() const { return code && *code == 0; }
  std::string describe() const;  // "exit code 3", "killed by signal 9 (Killed)"
};

enum class StopCause { none, deadline, requested };

struct RunOptions {
  std::optional<std::chrono::steady_clock::time_point> deadline;
  const ProcessStop* stop = nullptr;
  // After a stop request the child may run this long before SIGTERM (to finish a manifest push).
  // The deadline never waits.
  std::chrono::milliseconds stop_delay{0};
  // SIGTERM to the group, then SIGKILL after this grace.
  std::chrono::milliseconds kill_grace{10000};
  // Lines longer than this are delivered in pieces.
  std::size_t max_line = std::size_t{64} * 1024;
};

struct RunResult {
  ExitStatus status;
  StopCause stopped = StopCause::none;  // why the runner stopped it, if it did
};

// One line of output, without its newline.
using LineHandler = std::function<void(LogStream stream, std::string_view line)>;

// Runs `command` to its end, delivering every output line to `on_line` in arrival order. Fails
// (without running anything) when the program is not found or the child cannot be set up (the
// message names the step: "chdir", "setuid", "exec", …); a started child always gives a RunResult.
Result<RunResult> run_process(const Command& command, const LineHandler& on_line,
                              const RunOptions& options = {});

// Runs `command` and collects both streams (tests and short helper calls).
struct Captured {
  ExitStatus status;
  std::string out;
  std::string err;
};
Result<Captured> capture_process(const Command& command, const RunOptions& options = {});

// The argv as one line for logs: each word quoted when it holds spaces or quotes, secrets masked.
std::string format_argv(const std::vector<std::string>& argv, const SecretMasker* masker = nullptr);

}  // namespace nbs
