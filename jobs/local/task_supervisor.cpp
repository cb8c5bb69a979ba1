#include "jobs/local/task_supervisor.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fd.hpp"

namespace nbs::jobs {

namespace {

Error sys_error(const std::string& what, int error = errno) {
  return make_error(ErrorKind::internal, "local executor: " + what + ": " + std::strerror(error));
}

// The supervisor's descriptors 0 to 4 are placed with dup2 in the child: a source below 5 could be
// overwritten by an earlier dup2 (or, equal to its target, keep its close-on-exec flag), so it moves up.
Fd above_targets(Fd fd) {
  if (!fd || fd.get() > 4) {
    return fd;
  }
  return Fd(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 5));
}

// The task's environment as the supervisor reads it on descriptor 4: NUL-terminated strings in a memfd
// (not on argv, which every user can read in /proc/<pid>/cmdline; test env values may be secrets).
Fd environment_file(const std::vector<std::string>& env) {
  Fd fd(::memfd_create("nbs-task-env", MFD_CLOEXEC));
  if (!fd) {
    return fd;
  }
  std::string all;
  for (const auto& entry : env) {
    all.append(entry).push_back('\0');
  }
  if (!write_all(fd.get(), all)) {
    return Fd();
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) {
    return Fd();
  }
  return fd;
}

std::vector<std::string> supervisor_argv(const std::filesystem::path& supervisor, const TaskSpawn& spawn) {
  std::vector<std::string> argv{supervisor.string(), "--exit-file", spawn.exit_path.string(), "--work-dir",
                                spawn.work_dir.string()};
  if (spawn.user) {
    std::string user = std::to_string(spawn.user->uid) + ":" + std::to_string(spawn.user->gid) + ":";
    for (std::size_t i = 0; i < spawn.user->groups.size(); ++i) {
      user += (i > 0 ? "," : "") + std::to_string(spawn.user->groups[i]);
    }
    if (spawn.user->groups.empty()) {
      user.pop_back();  // no supplementary groups: "UID:GID", and setgroups gets an empty list
    }
    argv.insert(argv.end(), {"--user", user});
  }
  if (spawn.kill_descendants) {
    argv.emplace_back("--kill-descendants");
  }
  if (spawn.nice > 0) {
    argv.insert(argv.end(), {"--nice", std::to_string(spawn.nice)});
  }
  if (!spawn.reports.empty()) {
    for (const auto& word : spawn.podman) {
      argv.insert(argv.end(), {"--podman", word});
    }
    argv.insert(argv.end(), {"--container", spawn.container, "--reports-dir", spawn.reports_dir.string()});
    for (const auto& path : spawn.reports) {
      argv.insert(argv.end(), {"--report", path});
    }
  }
  argv.emplace_back("--");
  argv.insert(argv.end(), spawn.argv.begin(), spawn.argv.end());
  return argv;
}

// posix_spawn's attributes and file actions, destroyed however the spawn ends.
class SpawnSetup {
 public:
  SpawnSetup() {
    ::posix_spawnattr_init(&attr_);
    ::posix_spawn_file_actions_init(&actions_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions_);
    ::posix_spawnattr_destroy(&attr_);
  }
  posix_spawnattr_t* attr() { return &attr_; }
  posix_spawn_file_actions_t* actions() { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

}  // namespace

Result<SupervisedTask> spawn_supervised(const std::filesystem::path& supervisor, const TaskSpawn& spawn) {
  if (spawn.argv.empty() || spawn.argv[0].empty() || spawn.argv[0][0] != '/') {
    return make_error(ErrorKind::internal, "local executor: the task's program must be an absolute path");
  }
  Fd null_fd = above_targets(Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
  Fd log_fd =
      above_targets(Fd(::open(spawn.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)));
  Fd env_fd = above_targets(environment_file(spawn.env));
  int pipe_fds[2] = {-1, -1};
  const bool piped = ::pipe2(pipe_fds, O_CLOEXEC) == 0;
  Fd pid_in = above_targets(Fd(pipe_fds[0]));
  Fd pid_out = above_targets(Fd(pipe_fds[1]));
  if (!null_fd || !log_fd || !env_fd || !piped || !pid_in || !pid_out) {
    return sys_error("cannot prepare " + spawn.log_path.string());
  }
  if (spawn.user) {
    ::fchown(log_fd.get(), spawn.user->uid, spawn.user->gid);
  }

  SpawnSetup setup;
  // The supervisor starts with every signal at its default and none blocked, whatever the daemon's
  // handlers and masks (what fork_clean() gives a forked child).
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  ::posix_spawnattr_setsigdefault(setup.attr(), &all);
  ::posix_spawnattr_setsigmask(setup.attr(), &none);
  ::posix_spawnattr_setflags(setup.attr(), POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  const std::pair<int, int> placements[] = {
      {null_fd.get(), 0}, {log_fd.get(), 1}, {log_fd.get(), 2}, {pid_out.get(), 3}, {env_fd.get(), 4}};
  for (const auto& [from, to] : placements) {
    if (const int error = ::posix_spawn_file_actions_adddup2(setup.actions(), from, to); error != 0) {
      return sys_error("posix_spawn_file_actions_adddup2", error);
    }
  }

  const std::vector<std::string> args = supervisor_argv(supervisor, spawn);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  char* no_env[] = {nullptr};
  pid_t pid = 0;
  if (const int error =
          ::posix_spawn(&pid, supervisor.c_str(), setup.actions(), setup.attr(), argv.data(), no_env);
      error != 0) {
    return sys_error("cannot start " + supervisor.string(), error);
  }
  pid_out.reset();  // the pipe ends when the supervisor closes its copy (or dies)
  pid_t task = -1;
  std::size_t got = 0;
  while (got < sizeof task) {
    const ssize_t n = ::read(pid_in.get(), reinterpret_cast<char*>(&task) + got, sizeof task - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  if (got != sizeof task || task <= 0) {
    // It exits at once (bad arguments, or no task to wait for); reaped here, as nobody else knows it.
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return make_error(ErrorKind::internal, "local executor: the task supervisor could not start the task");
  }
  return SupervisedTask{pid, task};
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
