#include "common/user_access.hpp"

#include <cerrno>
#include <cstring>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/process_spawn.hpp"

namespace nbs {

namespace fs = std::filesystem;

namespace {

int mode_of(Access access) {
  switch (access) {
    case Access::read:
      return R_OK;
    case Access::write:
      return W_OK;
    case Access::execute:
      return X_OK;
    case Access::read_write:
      return R_OK | W_OK;
  }
  return R_OK;
}

std::string_view verb(Access access) {
  switch (access) {
    case Access::read:
      return "read";
    case Access::write:
      return "write";
    case Access::execute:
      return "execute";
    case Access::read_write:
      return "read and write";
  }
  return "use";
}

// access(2) as `user`: a child process takes the user's identity and reports the answer as its exit
// status (between fork and exit only async-signal-safe calls).
int access_as(const std::string& path, int mode, const std::optional<UserIdentity>& user) {
  if (!user) {
    return ::access(path.c_str(), mode) == 0 ? 0 : errno;
  }
  const pid_t child = fork_clean();
  if (child < 0) {
    return errno;
  }
  if (child == 0) {
    if (::setgroups(user->groups.size(), user->groups.data()) != 0 || ::setgid(user->gid) != 0 ||
        ::setuid(user->uid) != 0) {
      ::_exit(EPERM);
    }
    ::_exit(::access(path.c_str(), mode) == 0 ? 0 : (errno & 0xff));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      return errno;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : EPERM;
}

}  // namespace

Status check_access(const fs::path& path, Access access, const std::optional<UserIdentity>& user) {
  const std::string who = user ? "user '" + user->name + "'" : "this process";
  const fs::path absolute = fs::absolute(path).lexically_normal();
  // The first directory on the way that the user cannot enter is the one to fix.
  fs::path walked;
  for (auto part = absolute.begin(); part != absolute.end(); ++part) {
    walked /= *part;
    if (walked == absolute) {
      break;
    }
    if (const int err = access_as(walked.string(), X_OK, user); err != 0) {
      return make_error(ErrorKind::invalid_argument, absolute.string() + ": " + who + " cannot enter " +
                                                         walked.string() + " (" + std::strerror(err) +
                                                         "); open it (chmod o+x) or choose a path " + who +
                                                         " can reach");
    }
  }
  if (const int err = access_as(absolute.string(), mode_of(access), user); err != 0) {
    return make_error(ErrorKind::invalid_argument, absolute.string() + ": " + who + " cannot " +
                                                       std::string(verb(access)) + " it (" +
                                                       std::strerror(err) + ")");
  }
  return {};
}

}  // namespace nbs
