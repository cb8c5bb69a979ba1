// nbs-task-supervisor: the process that stands between the daemon and one task, so that the task outlives
// the daemon. nbs-mcpd starts it with posix_spawn (task_supervisor.cpp, spawn_supervised); it leaves the
// daemon's session, starts the task in a process group of its own, reports the task's pid, waits for it
// and writes its exit status to a file, atomically. A program of its own rather than a fork of the
// daemon: a fork of a multi-threaded daemon that keeps running copies its page tables and shares every
// page copy-on-write for the task's whole life, and only async-signal-safe calls are allowed in it.
//
//   nbs-task-supervisor --version
//   nbs-task-supervisor --exit-file PATH --work-dir DIR [--user UID:GID[:G1,G2...]] [--kill-descendants]
//                       [--nice N]
//                       [--podman WORD... --container NAME --reports-dir DIR --report PATH...]
//                       -- PROGRAM [ARG...]
//
// Descriptors: 0 reads /dev/null, 1 and 2 append to the task's log, 3 is a pipe that receives the task's
// pid (a pid_t in host byte order; -1 when it could not be started), 4 holds the task's environment
// ("NAME=value" strings, each ended by a NUL byte; not on argv, which every user may read in /proc).
// It starts with no signal blocked and every disposition at its default (the daemon asks posix_spawn
// for that) and is single-threaded, so its own fork() needs none of fork_clean()'s care.
// With --report (a test task that keeps its container), once the task ended it copies the reports out of
// the container and removes it (report_collect.hpp) before it writes the exit file. --podman repeats: the
// program, then the global options that choose the executor's storage.
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <string>
#include <string_view>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "common/fd.hpp"
#include "jobs/local/report_collect.hpp"

namespace {
using nbs::write_all;

constexpr int k_pid_fd = 3;
constexpr int k_env_fd = 4;
constexpr int k_cannot_start = 127;  // the exit code of a task that could not start, as a shell's

struct Options {
  std::string exit_path;
  std::string work_dir;
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  bool kill_descendants = false;
  int nice = 0;             // added to the supervisor's own, and so the task's (setpriority)
  std::vector<char*> argv;  // the task's, null-terminated
  nbs::jobs::ReportCollection reports;
};

template <class T>
bool parse_number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// "UID:GID[:G1,G2,...]"
bool parse_user(std::string_view text, Options& options) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || !parse_number(text.substr(0, colon), options.uid)) {
    return false;
  }
  text.remove_prefix(colon + 1);
  const std::size_t groups = text.find(':');
  if (!parse_number(text.substr(0, groups), options.gid)) {
    return false;
  }
  if (groups != std::string_view::npos) {
    text.remove_prefix(groups + 1);
    while (!text.empty()) {
      const std::size_t comma = text.find(',');
      gid_t group = 0;
      if (!parse_number(text.substr(0, comma), group)) {
        return false;
      }
      options.groups.push_back(group);
      text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    }
  }
  options.switch_user = true;
  return true;
}

// Empty when the arguments are complete and well-formed, else what is wrong with them.
std::string parse(int argc, char** argv, Options& options) {
  int i = 1;
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "--kill-descendants") {
      options.kill_descendants = true;
    } else if (arg == "--nice" && has_value) {
      if (!parse_number(std::string_view(argv[++i]), options.nice) || options.nice < 0 || options.nice > 19) {
        return "--nice: expected 0 to 19, got '" + std::string(argv[i]) + "'";
      }
    } else if (arg == "--exit-file" && has_value) {
      options.exit_path = argv[++i];
    } else if (arg == "--work-dir" && has_value) {
      options.work_dir = argv[++i];
    } else if (arg == "--podman" && has_value) {
      options.reports.podman.emplace_back(argv[++i]);
    } else if (arg == "--container" && has_value) {
      options.reports.container = argv[++i];
    } else if (arg == "--reports-dir" && has_value) {
      options.reports.dir = argv[++i];
    } else if (arg == "--report" && has_value) {
      options.reports.paths.emplace_back(argv[++i]);
    } else if (arg == "--user" && has_value) {
      if (!parse_user(argv[++i], options)) {
        return "--user: expected UID:GID[:G1,G2...], got '" + std::string(argv[i]) + "'";
      }
    } else {
      return "unknown or incomplete option '" + std::string(arg) + "'";
    }
  }
  if (options.exit_path.empty() || options.work_dir.empty()) {
    return "--exit-file and --work-dir are required";
  }
  if (!options.reports.paths.empty() &&
      (options.reports.podman.empty() || options.reports.container.empty() || options.reports.dir.empty())) {
    return "--report needs --podman, --container and --reports-dir";
  }
  if (i >= argc || argv[i][0] != '/') {
    return "the task's program (after --) must be an absolute path";
  }
  options.argv.assign(argv + i, argv + argc);
  options.argv.push_back(nullptr);
  return {};
}

// The environment from descriptor 4; the strings live in `storage`.
std::vector<char*> read_environment(std::string& storage) {
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(k_env_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    storage.append(buf, static_cast<std::size_t>(n));
  }
  ::close(k_env_fd);
  std::vector<char*> env;
  for (std::size_t begin = 0; begin < storage.size();) {
    const std::size_t end = storage.find('\0', begin);
    if (end == std::string::npos) {
      break;  // a truncated last string is dropped rather than passed on half
    }
    env.push_back(storage.data() + begin);
    begin = end + 1;
  }
  env.push_back(nullptr);
  return env;
}

[[noreturn]] void exec_task(const Options& options, char* const* envp) {
  ::setpgid(0, 0);
  ::close(k_pid_fd);
  const char* failed = nullptr;
  if (::chdir(options.work_dir.c_str()) != 0) {
    failed = "nbs: cannot enter the task's work directory\n";
  } else if (options.switch_user && (::setgroups(options.groups.size(), options.groups.data()) != 0 ||
                                     ::setgid(options.gid) != 0 || ::setuid(options.uid) != 0)) {
    failed = "nbs: cannot switch to the task's user\n";
  } else {
    ::execve(options.argv[0], options.argv.data(), envp);
    failed = "nbs: cannot execute the task's program\n";
  }
  write_all(2, failed);
  ::_exit(k_cannot_start);
}

// Calls `each` with every child of this (single-threaded) process, as /proc lists them; false for none.
template <class F>
bool for_each_child(F each) {
  const std::string path = "/proc/self/task/" + std::to_string(::getpid()) + "/children";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
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

// Written whole or not at all: a reader sees no exit file or a complete one.
void write_exit_file(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return;
  }
  write_all(fd, content);
  ::fsync(fd);
  ::close(fd);
  ::rename(tmp.c_str(), path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    write_all(1, std::string("nbs-task-supervisor ") + NBS_VERSION + "\n");
    return 0;
  }
  ::setsid();  // out of the daemon's session: its terminal and its process group signals do not reach us
  // Whatever the daemon let through without close-on-exec is none of the task's business.
  ::close_range(k_env_fd + 1, ~0U, 0);
  Options options;
  if (const std::string wrong = parse(argc, argv, options); !wrong.empty()) {
    write_all(2, "nbs-task-supervisor: " + wrong + "\n");
    return 2;  // nothing written to the pid pipe: the daemon reports that the task could not start
  }
  // Before the fork: the task inherits it, and so does everything it starts (Buildah, podman).
  if (options.nice > 0) {
    ::setpriority(PRIO_PROCESS, 0, ::getpriority(PRIO_PROCESS, 0) + options.nice);
  }
  std::string env_storage;
  const std::vector<char*> envp = read_environment(env_storage);
  if (options.kill_descendants) {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  const pid_t task = ::fork();
  if (task == 0) {
    exec_task(options, envp.data());
  }
  if (task > 0) {
    // As the task does itself: whichever runs first, the group exists before anyone signals it.
    ::setpgid(task, task);
  }
  write_all(k_pid_fd, std::string_view(reinterpret_cast<const char*>(&task), sizeof task));
  ::close(k_pid_fd);
  std::string status = "exit " + std::to_string(k_cannot_start) + "\n";
  if (task > 0) {
    int wait_status = 0;
    while (::waitpid(task, &wait_status, 0) < 0 && errno == EINTR) {
    }
    status = WIFSIGNALED(wait_status) ? "signal " + std::to_string(WTERMSIG(wait_status)) + "\n"
                                      : "exit " + std::to_string(WEXITSTATUS(wait_status)) + "\n";
    if (options.kill_descendants) {
      kill_descendants();  // before the exit file: once it exists, nothing of the task runs
    }
    if (!options.reports.paths.empty()) {
      nbs::jobs::collect_reports(options.reports, envp.data(), [&options] {
        return !options.switch_user || (::setgroups(options.groups.size(), options.groups.data()) == 0 &&
                                        ::setgid(options.gid) == 0 && ::setuid(options.uid) == 0);
      });
    }
  }
  write_exit_file(options.exit_path, status);
  return 0;
}
