// The low half of common/process.hpp: fork/exec of one child with its pipes, and reaping it.
// Used by run_process(); tests use it to reach a child's pid.
#pragma once

#include <sys/types.h>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "common/process.hpp"

namespace nbs {

struct SpawnedChild {
  pid_t pid = -1;  // also the id of its new process group
  Fd out;          // read ends, close-on-exec, non-blocking
  Fd err;
  // With Command::group_ends_with_parent: the write end of the group sentinel's pipe; closing it (or this
  // process dying) SIGKILLs what is left of the child's group.
  Fd guard;
};

// fork(2) for a multi-threaded process with signal handlers: signals stay blocked across the fork and
// the child starts with every handler at its default and nothing blocked. Without this a signal meant
// for the child (a stop sent right after spawn) could run one of the parent's handlers in the child,
// such as the daemon's shutdown handler. Returns -1 with errno set on failure, 0 in the child.
pid_t fork_clean();

// Starts the child; see run_process() for what can fail.
Result<SpawnedChild> spawn_child(const Command& command);

// Blocks until `pid` ends (retrying EINTR); with `no_hang`, nullopt while it still runs.
std::optional<ExitStatus> wait_child(pid_t pid, bool no_hang);

// The program path for argv[0]: itself when it holds '/', else the first executable match in PATH.
Result<std::string> find_program(const std::string& name, const std::optional<std::vector<std::string>>& env);

}  // namespace nbs
