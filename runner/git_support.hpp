// What the Git code shares: libgit2's process-wide set-up, its errors as nbs::Error, and the remote
// callbacks (credentials from files, cancellation on stop or deadline).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <git2.h>

#include "common/error.hpp"
#include "common/process_stop.hpp"
#include "common/runner_spec.hpp"

namespace nbs::runner {

// libgit2 needs git_libgit2_init() before any call; main() and tests hold one of these. It also stops
// libgit2 from reading the user's and the system's Git configuration: a build must not depend on the
// node's ~/.gitconfig, and in a Nomad task HOME may be a directory the task user cannot read.
class GitLibrary {
 public:
  GitLibrary() {
    git_libgit2_init();
    for (int level : {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL}) {
      git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, "");
    }
  }
  GitLibrary(const GitLibrary&) = delete;
  GitLibrary& operator=(const GitLibrary&) = delete;
  ~GitLibrary() { git_libgit2_shutdown(); }
};

// Credentials read from the files named in the spec. Never logged; the caller masks them.
struct GitCredentials {
  std::string username;  // for the token
  std::string token;
  std::string ssh_key_file;
  std::string ssh_key;  // the key's contents, only so that it can be masked
};

// Reads the token (surrounding whitespace trimmed) and checks the key file is readable.
Result<GitCredentials> load_git_credentials(const RunnerCredentials& files);

// What a remote operation may consult while it runs.
struct GitControl {
  const GitCredentials* credentials = nullptr;
  const ProcessStop* stop = nullptr;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  mutable int credential_attempts = 0;

  bool should_cancel() const;
};

// Callbacks wired to `control` (which must outlive the operation).
git_remote_callbacks make_remote_callbacks(const GitControl& control);

// The last libgit2 error as an Error: "<what>: <libgit2 message>". A cancelled transfer gives
// ErrorKind::timeout or ::unavailable depending on why it was cancelled.
Error git_failure(std::string_view what, int code, const GitControl* control = nullptr);

// RAII for libgit2 handles.
template <class T, void (*Free)(T*)>
struct GitHandle {
  T* ptr = nullptr;
  GitHandle() = default;
  GitHandle(const GitHandle&) = delete;
  GitHandle& operator=(const GitHandle&) = delete;
  ~GitHandle() {
    if (ptr != nullptr) {
      Free(ptr);
    }
  }
  T** out() { return &ptr; }
  T* get() const { return ptr; }
};
using GitRepo = GitHandle<git_repository, git_repository_free>;
using GitRemote = GitHandle<git_remote, git_remote_free>;
using GitObject = GitHandle<git_object, git_object_free>;
using GitReference = GitHandle<git_reference, git_reference_free>;
using GitSubmodule = GitHandle<git_submodule, git_submodule_free>;

}  // namespace nbs::runner
