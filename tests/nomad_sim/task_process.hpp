// Starts a task's process from an argv vector (never a shell): its own process group, stdin from
// /dev/null, stdout and stderr on two pipes, default signal dispositions, and optionally another user.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "common/error.hpp"

namespace nbs::nomad_sim {

struct ProcessUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string home;
};

struct LaunchSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in the PATH of `env`
  std::vector<std::string> env;   // "K=V"
  std::string cwd;
  std::optional<ProcessUser> user;
};

struct ChildProcess {
  pid_t pid = -1;  // also the process group id
  int out_fd = -1;
  int err_fd = -1;
};

// The started child, or an error carrying the exec failure (e.g. "no such file or directory").
nbs::Result<ChildProcess> launch_process(const LaunchSpec& spec);

// The user's ids and supplementary groups; an error when the user does not exist.
nbs::Result<ProcessUser> lookup_user(const std::string& name);

// waitpid() status → (exit code, signal).
struct ExitStatus {
  int code = 0;
  int signal = 0;
};
ExitStatus decode_wait_status(int status);

}  // namespace nbs::nomad_sim
