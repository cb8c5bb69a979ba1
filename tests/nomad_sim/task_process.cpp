#include "tests/nomad_sim/task_process.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nbs::nomad_sim {

namespace {

struct Pipe {
  int read = -1;
  int write = -1;
};

bool make_pipe(Pipe& p) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
    return false;
  }
  p.read = fds[0];
  p.write = fds[1];
  return true;
}

void close_pipe(Pipe& p) {
  for (int* fd : {&p.read, &p.write}) {
    if (*fd >= 0) {
      ::close(*fd);
      *fd = -1;
    }
  }
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) {
    out.push_back(s.data());
  }
  out.push_back(nullptr);
  return out;
}

// Reports errno to the parent over `report` and ends the forked child.
[[noreturn]] void child_failed(int report) {
  const int e = errno;
  (void)!::write(report, &e, sizeof e);
  ::_exit(127);
}

// Runs in the forked child: only async-signal-safe calls until exec. Reports errno on `report`.
[[noreturn]] void exec_child(const LaunchSpec& spec, char* const* argv, char* const* envp, const Pipe& out,
                             const Pipe& err, int report) {
  auto fail = [report]() { child_failed(report); };
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    ::signal(sig, SIG_DFL);
  }
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out.write, 1) < 0 || ::dup2(err.write, 2) < 0) {
    fail();
  }
  if (spec.user) {
    if (::setgroups(spec.user->groups.size(), spec.user->groups.data()) != 0 ||
        ::setgid(spec.user->gid) != 0 || ::setuid(spec.user->uid) != 0) {
      fail();
    }
  }
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
    fail();
  }
  ::execvpe(argv[0], argv, envp);
  child_failed(report);
}

}  // namespace

nbs::Result<ChildProcess> launch_process(const LaunchSpec& spec) {
  if (spec.argv.empty()) {
    return nbs::make_error(nbs::ErrorKind::invalid_argument, "empty command");
  }
  std::vector<std::string> argv_storage = spec.argv;
  std::vector<std::string> env_storage = spec.env;
  const auto argv = c_strings(argv_storage);
  const auto envp = c_strings(env_storage);
  Pipe out;
  Pipe err;
  Pipe report;
  if (!make_pipe(out) || !make_pipe(err) || !make_pipe(report)) {
    const std::string why = std::strerror(errno);
    close_pipe(out);
    close_pipe(err);
    close_pipe(report);
    return nbs::make_error(nbs::ErrorKind::internal, "pipe: " + why);
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    exec_child(spec, argv.data(), envp.data(), out, err, report.write);
  }
  ::close(out.write);
  ::close(err.write);
  ::close(report.write);
  if (pid < 0) {
    const std::string why = std::strerror(errno);
    ::close(out.read);
    ::close(err.read);
    ::close(report.read);
    return nbs::make_error(nbs::ErrorKind::internal, "fork: " + why);
  }
  ::setpgid(pid, pid);  // also in the parent, so a kill right after launch reaches the group
  int child_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(report.read, &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(report.read);
  if (n > 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::close(out.read);
    ::close(err.read);
    std::string why = std::strerror(child_errno);
    for (auto& c : why) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return nbs::make_error(nbs::ErrorKind::invalid_argument, why);
  }
  return ChildProcess{pid, out.read, err.read};
}

nbs::Result<ProcessUser> lookup_user(const std::string& name) {
  std::array<char, 16384> buf{};
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    return nbs::make_error(nbs::ErrorKind::not_found, "unknown user " + name);
  }
  ProcessUser user{pw.pw_uid, pw.pw_gid, {}, pw.pw_dir != nullptr ? pw.pw_dir : ""};
  int count = 64;
  user.groups.resize(static_cast<std::size_t>(count));
  if (::getgrouplist(name.c_str(), pw.pw_gid, user.groups.data(), &count) < 0) {
    user.groups.resize(static_cast<std::size_t>(count));
    ::getgrouplist(name.c_str(), pw.pw_gid, user.groups.data(), &count);
  }
  user.groups.resize(static_cast<std::size_t>(count));
  return user;
}

ExitStatus decode_wait_status(int status) {
  if (WIFEXITED(status)) {
    return {WEXITSTATUS(status), 0};
  }
  if (WIFSIGNALED(status)) {
    return {128 + WTERMSIG(status), WTERMSIG(status)};
  }
  return {};
}

}  // namespace nbs::nomad_sim
