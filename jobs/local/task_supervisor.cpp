#include "jobs/local/task_supervisor.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/process_spawn.hpp"

namespace nbs::jobs {

namespace {

// Between fork and exec (and in the supervisor, which never execs) only async-signal-safe calls are
// allowed: the daemon is multi-threaded. Everything is prepared before fork; these helpers use only
// write/open/close/rename.

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Appends the decimal digits of `value` to buf (no snprintf: it is not async-signal-safe).
std::size_t format_number(char* buf, unsigned value) {
  char digits[16];
  std::size_t d = 0;
  do {
    digits[d++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  std::size_t len = 0;
  while (d > 0) {
    buf[len++] = digits[--d];
  }
  return len;
}

std::size_t append(char* buf, std::size_t len, const char* text) {
  for (const char* c = text; *c; ++c) {
    buf[len++] = *c;
  }
  return len;
}

// Formats "<word> <n>\n" into buf.
std::size_t format_status(char* buf, const char* word, int n) {
  std::size_t len = append(buf, 0, word);
  buf[len++] = ' ';
  if (n < 0) {
    buf[len++] = '-';
  }
  len += format_number(buf + len, n < 0 ? static_cast<unsigned>(-n) : static_cast<unsigned>(n));
  buf[len++] = '\n';
  return len;
}

[[noreturn]] void exec_task(char* const* argv, char* const* envp, const char* work_dir,
                            const UserIdentity* user) {
  ::setpgid(0, 0);  // signal dispositions are already the defaults: the supervisor began with fork_clean()
  const char* failed = nullptr;
  if (::chdir(work_dir) != 0) {
    failed = "nbs: cannot enter the task's work directory\n";
  } else if (user != nullptr && (::setgroups(user->groups.size(), user->groups.data()) != 0 ||
                                 ::setgid(user->gid) != 0 || ::setuid(user->uid) != 0)) {
    failed = "nbs: cannot switch to the task's user\n";
  } else {
    ::execve(argv[0], argv, envp);
    failed = "nbs: cannot execute the task's program\n";
  }
  write_all(2, failed, std::strlen(failed));
  ::_exit(127);
}

// Calls `each` with every child of this (single-threaded) process, as /proc lists them; false for none.
template <class F>
bool for_each_child(F each) {
  char path[64];
  std::size_t len = append(path, 0, "/proc/self/task/");
  len += format_number(path + len, static_cast<unsigned>(::getpid()));  // single-threaded: its one task
  len = append(path, len, "/children");
  path[len] = '\0';
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  bool any = false;
  pid_t pid = 0;
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] >= '0' && buf[i] <= '9') {
      pid = pid * 10 + (buf[i] - '0');
    } else if (pid > 0) {
      each(pid);
      any = true;
      pid = 0;
    }
  }
  return any;
}

// Kills every process still descending from the supervisor (it is their subreaper), round after round:
// a killed process's own children are re-parented to us and handled in the next round.
void kill_descendants() {
  for (int round = 0; round < 10000; ++round) {
    const bool any = for_each_child([](pid_t pid) {
      ::kill(-pid, SIGKILL);  // its process group, when it leads one
      ::kill(pid, SIGKILL);
    });
    int status = 0;
    if (!any) {
      while (::waitpid(-1, &status, WNOHANG) > 0) {
      }
      return;
    }
    while (::waitpid(-1, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

[[noreturn]] void supervise(char* const* argv, char* const* envp, const char* work_dir,
                            const UserIdentity* user, int null_fd, int log_fd, int pid_pipe,
                            const char* exit_path, const char* exit_tmp, bool reap_descendants) {
  ::setsid();  // out of the daemon's session: its terminal and its process group signals do not reach us
  if (reap_descendants) {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  ::dup2(null_fd, 0);
  ::dup2(log_fd, 1);
  ::dup2(log_fd, 2);
  const pid_t task = ::fork();
  if (task == 0) {
    ::close_range(3, ~0U, 0);
    exec_task(argv, envp, work_dir, user);
  }
  if (task > 0) {
    ::setpgid(
        task,
        task);  // as the task does itself: whichever runs first, the group exists before anyone signals it
  }
  write_all(pid_pipe, reinterpret_cast<const char*>(&task), sizeof task);
  // The supervisor never execs, so it still holds every descriptor of the daemon (its listening
  // socket among them); close them so a restarted daemon can bind again.
  ::close_range(3, ~0U, 0);
  char buf[64];
  std::size_t len = 0;
  if (task < 0) {
    len = format_status(buf, "exit", 127);
  } else {
    int status = 0;
    while (::waitpid(task, &status, 0) < 0 && errno == EINTR) {
    }
    len = WIFSIGNALED(status) ? format_status(buf, "signal", WTERMSIG(status))
                              : format_status(buf, "exit", WEXITSTATUS(status));
    if (reap_descendants) {
      kill_descendants();  // before the exit file: once it exists, nothing of the task runs
    }
  }
  const int fd = ::open(exit_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    write_all(fd, buf, len);
    ::fsync(fd);
    ::close(fd);
    ::rename(exit_tmp, exit_path);
  }
  ::_exit(0);
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) {
    out.push_back(const_cast<char*>(s.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

Error sys_error(const std::string& what) {
  return make_error(ErrorKind::internal, "local executor: " + what + ": " + std::strerror(errno));
}

}  // namespace

Result<SupervisedTask> spawn_supervised(const TaskSpawn& spawn) {
  if (spawn.argv.empty() || spawn.argv[0].empty() || spawn.argv[0][0] != '/') {
    return make_error(ErrorKind::internal, "local executor: the task's program must be an absolute path");
  }
  std::vector<char*> argv = c_strings(spawn.argv);
  std::vector<char*> envp = c_strings(spawn.env);
  const std::string work_dir = spawn.work_dir.string();
  const std::string exit_path = spawn.exit_path.string();
  const std::string exit_tmp = exit_path + ".tmp";

  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int log_fd = ::open(spawn.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int pipe_fds[2] = {-1, -1};
  if (null_fd < 0 || log_fd < 0 || ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    Error e = sys_error("cannot prepare " + spawn.log_path.string());
    for (int fd : {null_fd, log_fd, pipe_fds[0], pipe_fds[1]}) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
    return e;
  }
  if (spawn.user) {
    ::fchown(log_fd, spawn.user->uid, spawn.user->gid);
  }
  const pid_t supervisor = fork_clean();
  if (supervisor == 0) {
    ::close(pipe_fds[0]);
    supervise(argv.data(), envp.data(), work_dir.c_str(), spawn.user ? &*spawn.user : nullptr, null_fd,
              log_fd, pipe_fds[1], exit_path.c_str(), exit_tmp.c_str(), spawn.kill_descendants);
  }
  ::close(pipe_fds[1]);
  ::close(null_fd);
  ::close(log_fd);
  if (supervisor < 0) {
    ::close(pipe_fds[0]);
    return sys_error("fork");
  }
  pid_t task = -1;
  std::size_t got = 0;
  while (got < sizeof task) {
    const ssize_t n = ::read(pipe_fds[0], reinterpret_cast<char*>(&task) + got, sizeof task - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(pipe_fds[0]);
  if (got != sizeof task || task <= 0) {
    return make_error(ErrorKind::internal, "local executor: the task supervisor could not start the task");
  }
  return SupervisedTask{supervisor, task};
}

std::optional<ExitStatus> read_exit_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string word;
  int n = 0;
  if (!(in >> word >> n)) {
    return std::nullopt;
  }
  if (word == "exit") {
    return ExitStatus{n, std::nullopt};
  }
  if (word == "signal") {
    return ExitStatus{std::nullopt, n};
  }
  return std::nullopt;
}

}  // namespace nbs::jobs
