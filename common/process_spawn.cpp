#include "common/process_spawn.hpp"

#include <cstring>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <pwd.h>
#include <signal.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace nbs {
namespace {

// What a child reports through the error pipe when its set-up fails before exec.
struct ChildFailure {
  int step = 0;
  int error = 0;
};

constexpr const char* k_steps[] = {"setpgid",   "sentinel", "stdin",  "stdout", "stderr", "close_range",
                                   "setgroups", "setgid",   "setuid", "chdir",  "exec"};

// The group sentinel (Command::group_ends_with_parent): a process left in the child's new group that
// holds only the read end of a pipe whose write end the parent keeps. It reads end-of-file when the
// parent closes it (the command is over) or dies, a SIGKILL included, and then SIGKILLs its whole group:
// what the child forked (buildah's user-namespace helper and the RUN step under it) cannot outlive the
// parent. It ignores the signals of an orderly stop so that it keeps watching during the stop's grace.
// Named nbs-group-guard (ps, /proc/PID/comm): it is a fork of the parent and shares its command line.
[[noreturn]] void sentinel_main(int guard_r) {
  ::prctl(PR_SET_NAME, "nbs-group-guard", 0, 0, 0);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE}) {
    ::sigaction(sig, &ignore, nullptr);
  }
  if (guard_r > 0) {
    ::syscall(SYS_close_range, 0U, static_cast<unsigned>(guard_r - 1), 0U);
  }
  ::syscall(SYS_close_range, static_cast<unsigned>(guard_r + 1), ~0U, 0U);
  char byte;
  ssize_t n;
  do {
    n = ::read(guard_r, &byte, 1);
  } while (n > 0 || (n < 0 && errno == EINTR));
  ::kill(0, SIGKILL);
  ::_exit(0);
}

std::vector<char*> c_strings(const std::vector<std::string>& items) {
  std::vector<char*> out;
  out.reserve(items.size() + 1);
  for (const auto& s : items) {
    out.push_back(const_cast<char*>(s.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

// Runs in the child between fork and exec: only async-signal-safe calls from here on.
[[noreturn]] void child_main(const char* path, char* const* argv, char* const* envp, const Command& command,
                             int dev_null, int out_w, int err_w, int report_w, int guard_r) {
  int step = 0;
  auto fail = [&](int at) {
    ChildFailure f{at, errno};
    [[maybe_unused]] auto n = ::write(report_w, &f, sizeof f);
    ::_exit(127);
  };
  // A new group, so that a stop reaches the child's own children too (buildah forks runtimes).
  if (::setpgid(0, 0) != 0) {
    fail(step);
  }
  ++step;
  if (guard_r >= 0) {
    const pid_t sentinel = ::fork();
    if (sentinel < 0) {
      fail(step);
    }
    if (sentinel == 0) {
      sentinel_main(guard_r);
    }
  }
  ++step;
  if (::dup2(dev_null, 0) < 0) {
    fail(step);
  }
  ++step;
  if (::dup2(out_w, 1) < 0) {
    fail(step);
  }
  ++step;
  if (::dup2(err_w, 2) < 0) {
    fail(step);
  }
  ++step;
  // Whatever the parent left open without O_CLOEXEC must not reach the program.
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    fail(step);
  }
  ++step;
  if (command.run_as) {
    const auto& u = *command.run_as;
    if (::setgroups(u.groups.size(), u.groups.data()) != 0) {
      fail(step);
    }
    ++step;
    if (::setgid(u.gid) != 0) {
      fail(step);
    }
    ++step;
    if (::setuid(u.uid) != 0) {
      fail(step);
    }
    ++step;
  } else {
    step += 3;
  }
  if (!command.working_dir.empty() && ::chdir(command.working_dir.c_str()) != 0) {
    fail(step);
  }
  ++step;
  ::execve(path, argv, envp);
  fail(step);
  ::_exit(127);
}

std::optional<std::string> env_value(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& entry : env) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

Status make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return make_error(ErrorKind::internal, std::string("process: pipe: ") + std::strerror(errno));
  }
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return {};
}

}  // namespace

Result<UserIdentity> lookup_user(std::string_view name) {
  std::string user(name);
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return make_error(ErrorKind::not_found, "user " + user + ": no such user");
  }
  UserIdentity id{.name = user, .uid = pw.pw_uid, .gid = pw.pw_gid, .home = pw.pw_dir ? pw.pw_dir : ""};
  int count = 32;
  for (int attempt = 0; attempt < 4; ++attempt) {
    id.groups.resize(static_cast<std::size_t>(count));
    int n = count;
    if (::getgrouplist(user.c_str(), pw.pw_gid, id.groups.data(), &n) >= 0) {
      id.groups.resize(static_cast<std::size_t>(n));
      return id;
    }
    count = n > count ? n : count * 2;
  }
  id.groups = {pw.pw_gid};
  return id;
}

Result<std::string> find_program(const std::string& name,
                                 const std::optional<std::vector<std::string>>& env) {
  if (name.empty()) {
    return make_error(ErrorKind::invalid_argument, "argv: empty program name");
  }
  if (name.find('/') != std::string::npos) {
    return name;
  }
  std::optional<std::string> path = env ? env_value(*env, "PATH") : std::nullopt;
  if (!env) {
    const char* p = std::getenv("PATH");
    if (p != nullptr) {
      path = p;
    }
  }
  std::istringstream dirs(path.value_or("/usr/local/bin:/usr/bin:/bin"));
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return make_error(ErrorKind::not_found, name + ": program not found in PATH");
}

pid_t fork_clean() {
  sigset_t all;
  sigset_t old;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = ::fork();
  if (pid == 0) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
      ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for SIGKILL, SIGSTOP and reserved signals
    }
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    return 0;
  }
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = fork_errno;
  return pid;
}

Result<SpawnedChild> spawn_child(const Command& command) {
  if (command.argv.empty()) {
    return make_error(ErrorKind::invalid_argument, "argv: empty command");
  }
  auto path = find_program(command.argv[0], command.env);
  if (!path) {
    return path.error();
  }
  Fd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!dev_null) {
    return make_error(ErrorKind::internal, std::string("process: /dev/null: ") + std::strerror(errno));
  }
  SpawnedChild child;
  Fd out_w, err_w, report_r, report_w, guard_r;
  if (auto s = make_pipe(child.out, out_w); !s) {
    return s.error();
  }
  if (command.group_ends_with_parent) {
    if (auto s = make_pipe(guard_r, child.guard); !s) {
      return s.error();
    }
  }
  if (auto s = make_pipe(child.err, err_w); !s) {
    return s.error();
  }
  if (auto s = make_pipe(report_r, report_w); !s) {
    return s.error();
  }

  // Everything the child touches is built before fork: it may not allocate afterwards.
  auto argv = c_strings(command.argv);
  auto envp = command.env ? c_strings(*command.env) : std::vector<char*>{};
  char* const* env_ptr = command.env ? envp.data() : environ;

  const pid_t pid = fork_clean();
  if (pid == 0) {
    child_main(path->c_str(), argv.data(), env_ptr, command, dev_null.get(), out_w.get(), err_w.get(),
               report_w.get(), guard_r.valid() ? guard_r.get() : -1);
  }
  const int fork_errno = errno;
  if (pid < 0) {
    return make_error(ErrorKind::internal, std::string("process: fork: ") + std::strerror(fork_errno));
  }
  ::setpgid(pid, pid);  // also from here, so a stop sent right after spawn reaches the group
  child.pid = pid;
  out_w.reset();
  err_w.reset();
  report_w.reset();
  guard_r.reset();

  ChildFailure failure;
  ssize_t n;
  do {
    n = ::read(report_r.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    wait_child(pid, false);
    const char* step = failure.step >= 0 && failure.step < static_cast<int>(std::size(k_steps))
                           ? k_steps[failure.step]
                           : "setup";
    auto kind =
        failure.error == ENOENT || failure.error == EACCES ? ErrorKind::not_found : ErrorKind::internal;
    return make_error(kind, command.argv[0] + ": " + step + ": " + std::strerror(failure.error));
  }
  for (Fd* fd : {&child.out, &child.err}) {
    ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
  }
  return child;
}

std::optional<ExitStatus> wait_child(pid_t pid, bool no_hang) {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &status, no_hang ? WNOHANG : 0);
  } while (r < 0 && errno == EINTR);
  if (r == 0) {
    return std::nullopt;
  }
  ExitStatus out;
  if (r < 0) {
    out.code = 127;  // already reaped elsewhere; nothing better to report
  } else if (WIFEXITED(status)) {
    out.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
  }
  return out;
}

}  // namespace nbs
