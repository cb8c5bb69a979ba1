#include "jobs/local/local_executor.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <signal.h>
#include <sstream>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <tuple>
#include <unistd.h>

#include <boost/json.hpp>

#include "jobs/local/test_container.hpp"

namespace nbs::jobs {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// One task of a phase as the executor tracks it. Files under <phase dir>/tasks/<name>/: output.log,
// exit (written by the supervisor), pids ("<supervisor> <task>"), stop (a stop was asked for).
struct LocalExecutor::Task {
  std::string name;
  std::vector<std::string> argv;
  fs::path dir;
  pid_t supervisor = 0;
  pid_t pid = 0;  // also its process group
  bool supervisor_is_child = false;
  bool launching = false;  // picked to start: the monitor is starting it without the lock
  Fd supervisor_exit;      // pidfd of a child supervisor: readable when it exits, which wakes the monitor
  PhaseState state = PhaseState::pending;
  std::optional<ExitStatus> exit;
  std::optional<Clock::time_point> kill_at;  // SIGKILL then, if still running
  bool stop_requested = false;
  std::string launch_error;  // why it could not start (this process only; the log keeps it too)
  std::string diagnosis;     // what its exit means, when the exit code alone misleads (no /bin/sh)
  std::vector<std::string> process_env;  // test tasks: multi-line env values, named by `--env NAME`
};

struct LocalExecutor::PhaseRun {
  PhaseId id;
  std::uint64_t sequence = 0;  // start order within this process, for equal start times
  fs::path dir;
  std::vector<Task> tasks;
  std::optional<SystemTime> started_at;
  std::optional<SystemTime> finished_at;
  std::string test_image;  // test phases: the image podman pulled, removed when the phase ends
  bool image_removal_started = false;

  // Some task of the phase is still pending or running.
  bool live() const {
    return std::any_of(tasks.begin(), tasks.end(), [](const Task& t) {
      return t.state == PhaseState::running || t.state == PhaseState::pending;
    });
  }
};

// A task the monitor is about to start: what poll_tasks() picked, prepared under the lock.
struct LocalExecutor::Launch {
  std::string phase;  // PhaseId::name(); a phase with a launching task cannot be purged
  std::size_t task_index = 0;
  TaskSpawn spawn;
};

namespace {

// Written whole or not at all (a temporary file renamed), readable only by its owner: phase files hold
// the request (webhook secret, build args) and test env values. `owner` is the user that reads it.
bool write_file(const fs::path& path, const std::string& content,
                const std::optional<UserIdentity>& owner = std::nullopt) {
  const fs::path tmp = fs::path(path).concat(".tmp");
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) {
    return false;
  }
  std::string_view rest = content;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (owner && ::fchown(fd.get(), owner->uid, owner->gid) != 0) {
    return false;
  }
  fd.reset();
  std::error_code ec;
  fs::rename(tmp, path, ec);
  return !ec;
}

// A directory only `owner` (or the daemon) may enter.
bool make_private_dir(const fs::path& dir, const std::optional<UserIdentity>& owner) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  return !ec && ::chmod(dir.c_str(), 0700) == 0 &&
         (!owner || ::chown(dir.c_str(), owner->uid, owner->gid) == 0);
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A zombie counts as dead: without an init that reaps orphans (containers), killed tasks stay zombies.
bool process_alive(pid_t pid) {
  if (pid <= 0) {
    return false;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) {
    return false;
  }
  const std::size_t paren = line.rfind(')');  // the command name may contain spaces and parentheses
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z' &&
         line[paren + 2] != 'X';
}

std::vector<std::string> to_strings(const json::value& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& s : v.get_array()) {
      if (s.is_string()) {
        out.emplace_back(s.get_string());
      }
    }
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<LocalExecutor>> LocalExecutor::create(LocalExecutorConfig config) {
  std::error_code ec;
  fs::create_directories(config.state_dir / "phases", ec);
  if (ec) {
    return make_error(
        ErrorKind::unavailable,
        "local executor: cannot create " + (config.state_dir / "phases").string() + ": " + ec.message());
  }
  if (config.supervisor_path.empty() || ::access(config.supervisor_path.c_str(), X_OK) != 0) {
    return make_error(ErrorKind::unavailable, "local executor: " + config.supervisor_path.string() +
                                                  " is not an executable file (nbs-task-supervisor is "
                                                  "installed beside nbs-mcpd)");
  }
  std::unique_ptr<LocalExecutor> executor(new LocalExecutor(std::move(config)));
  if (!executor->monitor_wake_) {
    return make_error(ErrorKind::unavailable,
                      std::string("local executor: eventfd: ") + std::strerror(errno));
  }
  if (!executor->config_.build_user.empty() && ::geteuid() == 0) {
    auto user = lookup_user(executor->config_.build_user);
    if (!user) {
      return user.error();
    }
    executor->user_ = std::move(*user);
  }
  executor->recover();
  // Containers a killed daemon left behind: nothing would ever stop them.
  if (auto swept = executor->sweep(); !swept) {
    return make_error(swept.error().kind, "local executor: " + swept.error().message);
  }
  executor->monitor_ = std::thread([e = executor.get()] { e->monitor_loop(); });
  return executor;
}

LocalExecutor::LocalExecutor(LocalExecutorConfig config)
    : config_(std::move(config)), monitor_wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

LocalExecutor::~LocalExecutor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  wake_monitor();
  if (monitor_.joinable()) {
    monitor_.join();
  }
  // Tasks keep running on purpose: a restarted daemon picks them up.
}

fs::path LocalExecutor::phase_dir(const PhaseId& id) const {
  return config_.state_dir / "phases" / id.name();
}

// Rebuilds the in-memory view from the state directory after a (re)start.
void LocalExecutor::recover() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config_.state_dir / "phases", ec)) {
    auto launch_text = read_file(entry.path() / "launch.json");
    if (!launch_text) {
      continue;  // a start that crashed before it was recorded: the orchestrator starts it again
    }
    boost::system::error_code jec;
    json::value launch = json::parse(*launch_text, jec);
    if (jec || !launch.is_object()) {
      continue;
    }
    auto phase = std::make_unique<PhaseRun>();
    phase->dir = entry.path();
    phase->id.job_id = json::value_to<std::string>(launch.at("job_id"));
    phase->id.phase = parse_phase(json::value_to<std::string>(launch.at("phase"))).value_or(Phase::build);
    if (const auto* attempt = launch.as_object().if_contains("attempt"); attempt && attempt->is_int64()) {
      phase->id.attempt = static_cast<int>(attempt->get_int64());
    }
    if (const auto* started = launch.as_object().if_contains("started_at"); started && started->is_string()) {
      phase->started_at = parse_utc(started->get_string());
    }
    if (const auto* image = launch.as_object().if_contains("image"); image && image->is_string()) {
      phase->test_image = std::string(image->get_string());
    }
    for (const auto& t : launch.at("tasks").as_array()) {
      Task task;
      task.name = json::value_to<std::string>(t.at("name"));
      task.argv = to_strings(t.at("argv"));
      task.dir = phase->dir / "tasks" / task.name;
      task.stop_requested = fs::exists(task.dir / "stop");
      if (auto pids = read_file(task.dir / "pids")) {
        std::istringstream in(*pids);
        in >> task.supervisor >> task.pid;
        task.state = PhaseState::running;  // poll_tasks() settles it from the exit file or liveness
      } else if (auto env = read_file(task.dir / "process-env")) {
        boost::system::error_code env_ec;
        task.process_env = to_strings(json::parse(*env, env_ec));
      }
      phase->tasks.push_back(std::move(task));
    }
    phases_[phase->id.name()] = std::move(phase);
  }
  poll_tasks(nullptr);  // pending tasks start on the monitor's first round
}

Status LocalExecutor::start(const PhaseLaunch& launch) {
  std::lock_guard lock(mutex_);
  const std::string name = launch.id.name();
  if (phases_.count(name)) {
    return {};
  }
  if (auto refused = unsupported(launch.request); !refused.empty()) {
    return make_field_errors(std::move(refused));
  }
  auto phase = std::make_unique<PhaseRun>();
  phase->id = launch.id;
  phase->sequence = generation_;
  phase->dir = phase_dir(launch.id);
  const fs::path work = phase->dir / "work";
  // The runner writes its result and work tree as the build user; nobody else reads the phase's files.
  if (!make_private_dir(phase->dir, user_) || !make_private_dir(work, user_)) {
    return make_error(ErrorKind::unavailable,
                      "local executor: cannot create " + work.string() + ": " + std::strerror(errno));
  }

  if (launch.id.phase == Phase::test) {
    if (!launch.request.test) {
      return make_error(ErrorKind::invalid_argument, "local executor: a test phase needs test commands");
    }
    phase->test_image = launch.test_image;
    auto add = [&](const std::string& task_name, const std::optional<std::string>& command) {
      const fs::path task_dir = phase->dir / "tasks" / task_name;
      TestContainer container = test_container(TestContainerSpec{.podman = config_.podman_path,
                                                                 .podman_args = config_.podman_args,
                                                                 .phase = launch.id,
                                                                 .task = task_name,
                                                                 .state_dir = config_.state_dir.string(),
                                                                 .image = launch.test_image,
                                                                 .command = command,
                                                                 .env = launch.request.test->env,
                                                                 .env_file = task_dir / "env"});
      Task task{.name = task_name, .argv = std::move(container.argv)};
      task.process_env = std::move(container.process_env);
      if (!container.env_file.empty() &&
          (!make_private_dir(task_dir, user_) || !write_file(task_dir / "env", container.env_file, user_))) {
        return false;
      }
      if (!task.process_env.empty() &&
          !write_file(task_dir / "process-env",
                      json::serialize(json::array(task.process_env.begin(), task.process_env.end())))) {
        return false;
      }
      phase->tasks.push_back(std::move(task));
      return true;
    };
    const auto& commands = launch.request.test->commands;
    bool written = true;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      written = written && add("cmd-" + std::to_string(i), commands[i]);
    }
    if (launch.request.test->entry_point) {
      written = written && add("entry-point", std::nullopt);
    }
    if (!written) {
      return make_error(ErrorKind::unavailable,
                        "local executor: cannot write the test environment under " + phase->dir.string());
    }
  } else {
    // The runner finds its result path and work directory in the spec.
    boost::system::error_code jec;
    json::value spec = json::parse(launch.runner_spec_json, jec);
    if (jec || !spec.is_object()) {
      return make_error(ErrorKind::internal, "local executor: the runner spec is not a JSON object");
    }
    spec.as_object()["result_path"] = (phase->dir / "result.json").string();
    spec.as_object()["work_dir"] = work.string();
    if (!write_file(phase->dir / "spec.json", json::serialize(spec), user_)) {
      return make_error(ErrorKind::unavailable,
                        "local executor: cannot write " + (phase->dir / "spec.json").string());
    }
    phase->tasks.push_back(
        Task{.name = "runner",
             .argv = {config_.runner_path.string(), std::string(to_string(launch.id.phase)), "--spec",
                      (phase->dir / "spec.json").string(), "--log-format", "json"}});
  }

  json::array tasks;
  for (auto& task : phase->tasks) {
    task.dir = phase->dir / "tasks" / task.name;
    std::error_code ec;
    fs::create_directories(task.dir, ec);
    tasks.push_back(
        json::object{{"name", task.name}, {"argv", json::array(task.argv.begin(), task.argv.end())}});
  }
  phase->started_at = now_utc();
  json::object record{{"job_id", launch.id.job_id},
                      {"phase", to_string(launch.id.phase)},
                      {"attempt", launch.id.attempt},
                      {"started_at", format_utc(*phase->started_at)},
                      {"tasks", std::move(tasks)}};
  if (!phase->test_image.empty()) {
    record["image"] = phase->test_image;
  }
  // launch.json makes the phase exist; written last, so a crash before it leaves nothing half-started.
  if (!write_file(phase->dir / "launch.json", json::serialize(record))) {
    return make_error(ErrorKind::unavailable,
                      "local executor: cannot record the launch in " + phase->dir.string());
  }
  phases_[name] = std::move(phase);
  note_change(launch.id.job_id);
  return {};
}

std::vector<FieldError> LocalExecutor::unsupported(const JobRequest& request) const {
  std::vector<FieldError> out;
  auto refuse = [&](std::string path, std::string reason) {
    out.push_back({std::move(path), std::move(reason)});
  };
  if (!request.git_credentials_path.empty()) {
    refuse(
        "git_credentials_path",
        "is a Vault path, and the local executor has no Vault: build from a repository it can fetch without "
        "credentials, or use the Nomad executor");
  }
  if (!request.registry_credentials_path.empty()) {
    refuse("registry_credentials_path",
           "is a Vault path, and the local executor has no Vault: it pushes with the daemon's registry auth "
           "file (registry_auth_file); leave this field out");
  }
  if (request.test) {
    if (!request.test->vault_secrets.empty()) {
      refuse(
          "test.vault_secrets",
          "needs Vault, and the local executor has none: pass values in test.env, or use the Nomad executor");
    }
    if (request.test->gpu_count > 0) {
      refuse("test.gpu_count", "the local executor has no GPUs to give to tests; leave it out or use Nomad");
    }
    if (!request.test->constraints.empty()) {
      refuse("test.constraints", "are Nomad placement constraints; the local executor runs on one machine");
    }
    for (const auto& [name, value] : request.test->env) {
      if (value.find_first_of("\r\n") != std::string::npos && reserved_for_podman(name)) {
        refuse("test.env." + name,
               "a multi-line value cannot be given to this variable on the local executor (podman itself "
               "runs with it); use a single line or another name");
      }
    }
  }
  return out;
}

std::vector<std::string> LocalExecutor::task_environment(const PhaseId& id) const {
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                               "LANG=C.UTF-8", "NBS_JOB_ID=" + id.job_id,
                               "NBS_PHASE=" + std::string(to_string(id.phase))};
  env.push_back("HOME=" + (user_ ? user_->home : std::string(getenv("HOME") ? getenv("HOME") : "/")));
  if (user_) {
    env.push_back("USER=" + config_.build_user);
  }
  env.insert(env.end(), config_.task_env.begin(), config_.task_env.end());
  return env;
}

LocalExecutor::Launch LocalExecutor::prepare_launch(const PhaseRun& phase, std::size_t task_index) const {
  const Task& task = phase.tasks[task_index];
  std::vector<std::string> env = task_environment(phase.id);
  env.insert(env.end(), task.process_env.begin(), task.process_env.end());
  return Launch{.phase = phase.id.name(),
                .task_index = task_index,
                .spawn = TaskSpawn{.argv = task.argv,
                                   .env = std::move(env),
                                   .work_dir = phase.dir / "work",
                                   .log_path = task.dir / "output.log",
                                   .exit_path = task.dir / "exit",
                                   .user = user_,
                                   // nbs-runner starts Buildah in groups of its own: a killed runner
                                   // must not leave them running.
                                   .kill_descendants = phase.test_image.empty()}};
}

void LocalExecutor::launch_unlocked(std::unique_lock<std::mutex>& lock, std::vector<Launch> launches) {
  std::vector<TaskSpawn> helpers;
  helpers.swap(helper_queue_);
  lock.unlock();
  std::vector<Result<SupervisedTask>> started;
  for (const auto& launch : launches) {
    started.push_back(spawn_supervised(config_.supervisor_path, launch.spawn));
  }
  std::vector<Result<SupervisedTask>> helpers_started;
  for (const auto& helper : helpers) {
    helpers_started.push_back(spawn_supervised(config_.supervisor_path, helper));
  }
  lock.lock();
  for (std::size_t i = 0; i < launches.size(); ++i) {
    auto it = phases_.find(launches[i].phase);
    if (it == phases_.end()) {
      continue;  // cannot happen: purge refuses a phase with a pending task
    }
    record_launch(it->second->tasks[launches[i].task_index], started[i]);
    note_change(it->second->id.job_id);
  }
  for (std::size_t i = 0; i < helpers.size(); ++i) {
    if (helpers_started[i]) {
      helpers_.push_back(helpers_started[i]->supervisor);
    } else {
      std::ofstream(fs::path(helpers[i].log_path), std::ios::app)
          << "nbs: " << helpers_started[i].error().message << "\n";
    }
  }
}

void LocalExecutor::record_launch(Task& task, const Result<SupervisedTask>& spawned) {
  task.launching = false;
  if (!spawned) {
    task.state = PhaseState::failed;
    task.exit = ExitStatus{127, std::nullopt};
    task.launch_error = spawned.error().message;
    write_file(task.dir / "exit", "exit 127\n");
    std::ofstream(task.dir / "output.log", std::ios::app) << "nbs: " << spawned.error().message << "\n";
    return;
  }
  task.supervisor = spawned->supervisor;
  task.pid = spawned->task;
  task.supervisor_is_child = true;
  // glibc 2.36's <sys/pidfd.h> lacks extern "C", hence the raw system call. Without a pidfd the poll
  // interval notices the exit.
  task.supervisor_exit = Fd(static_cast<int>(::syscall(SYS_pidfd_open, task.supervisor, 0)));
  task.state = PhaseState::running;
  write_file(task.dir / "pids", std::to_string(task.supervisor) + " " + std::to_string(task.pid) + "\n");
  std::error_code ec;
  fs::remove(task.dir / "process-env", ec);  // the values live on in podman's environment only
  if (task.stop_requested) {
    ::kill(-task.pid, SIGTERM);  // stopped while it was starting; stop() set kill_at
  }
}

void LocalExecutor::settle(PhaseRun& phase, Task& task) {
  std::error_code ec;
  fs::remove(task.dir / "env", ec);
  fs::remove(task.dir / "process-env", ec);
  // The runner read its spec at start; a build's holds the secret build args' values. A later attempt
  // writes a spec of its own.
  fs::remove(phase.dir / "spec.json", ec);
  if (!phase.test_image.empty() && task.name != "entry-point" && task.exit && task.exit->code == 127) {
    // 127 is also a shell's "command not found"; the runtime's own message tells the two apart.
    std::ifstream log(task.dir / "output.log", std::ios::binary);
    std::string head(8192, '\0');
    log.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(log.gcount()));
    if (reports_missing_shell(head)) {
      task.diagnosis = std::string(k_missing_shell_message);
    }
  }
}

void LocalExecutor::run_podman(const PhaseRun& phase, const std::string& what,
                               std::vector<std::string> argv) {
  helper_queue_.push_back(TaskSpawn{.argv = std::move(argv),
                                    .env = task_environment(phase.id),
                                    .work_dir = phase.dir,
                                    .log_path = phase.dir / (what + ".log"),
                                    .exit_path = phase.dir / (what + ".exit"),
                                    .user = user_});
  wake_monitor();
}

void LocalExecutor::reap_helpers() {
  std::erase_if(helpers_, [](pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) != 0; });
}

void LocalExecutor::note_change(const std::string& job_id) {
  ++generation_;
  recent_.emplace_back(generation_, job_id);
  if (recent_.size() > 512) {
    recent_.pop_front();
  }
  changed_.notify_all();
  wake_monitor();
}

bool LocalExecutor::poll_tasks(std::vector<Launch>* launches) {
  reap_helpers();
  bool changed = false;
  unsigned running = 0;
  // Queued tasks start in the order their phases were started.
  std::vector<PhaseRun*> ordered;
  for (auto& [name, phase] : phases_) {
    ordered.push_back(phase.get());
    for (auto& task : phase->tasks) {
      running += task.state == PhaseState::running || task.launching;
    }
  }
  std::sort(ordered.begin(), ordered.end(), [](const PhaseRun* a, const PhaseRun* b) {
    return std::tie(a->started_at, a->sequence) < std::tie(b->started_at, b->sequence);
  });
  for (PhaseRun* phase : ordered) {
    bool all_done = true;
    bool changed_here = false;
    for (std::size_t i = 0; i < phase->tasks.size(); ++i) {
      Task& task = phase->tasks[i];
      if (task.launching) {
        all_done = false;
        continue;  // the monitor records its start
      }
      if (task.state == PhaseState::pending && !task.stop_requested && running < config_.max_running_tasks &&
          launches != nullptr) {
        task.launching = true;
        launches->push_back(prepare_launch(*phase, i));
        ++running;
        all_done = false;
        continue;
      }
      if (task.state == PhaseState::pending && task.stop_requested) {
        task.state = PhaseState::failed;
        task.exit = ExitStatus{std::nullopt, SIGTERM};
        changed_here = true;
      }
      if (task.state == PhaseState::running) {
        if (task.supervisor_is_child && ::waitpid(task.supervisor, nullptr, WNOHANG) == task.supervisor) {
          task.supervisor_is_child = false;  // reaped: from now on only the exit file and /proc tell
          task.supervisor_exit.reset();
        }
        if (auto exit = read_exit_file(task.dir / "exit")) {
          task.exit = exit;
          task.state = exit->code == 0 ? PhaseState::succeeded : PhaseState::failed;
          settle(*phase, task);
          if (task.supervisor_is_child) {
            ::waitpid(task.supervisor, nullptr, 0);  // it exits right after writing the file
            task.supervisor_is_child = false;
            task.supervisor_exit.reset();
          }
          --running;
          changed_here = true;
        } else if (!process_alive(task.supervisor) && !process_alive(task.pid)) {
          if (auto late = read_exit_file(task.dir / "exit")) {
            continue;  // written between the two checks; settled on the next poll
          }
          task.state = PhaseState::lost;
          settle(*phase, task);
          --running;
          changed_here = true;
        } else if (task.kill_at && Clock::now() >= *task.kill_at) {
          ::kill(-task.pid, SIGKILL);
          task.kill_at.reset();
        }
      }
      all_done = all_done && task.state != PhaseState::pending && task.state != PhaseState::running;
    }
    if (all_done && !phase->finished_at) {
      phase->finished_at = now_utc();
    }
    if (all_done && !phase->test_image.empty() && !fs::exists(phase->dir / "image-removal.exit") &&
        !phase->image_removal_started) {
      // Only the name goes now; the layers, which another phase's pull may be sharing this moment, go
      // when sweep() prunes with no phase running.
      phase->image_removal_started = true;
      run_podman(*phase, "image-removal", untag_image_argv(config_.podman_path, phase->test_image));
    }
    if (changed_here) {
      note_change(phase->id.job_id);
      changed = true;
    }
  }
  return changed;
}

void LocalExecutor::monitor_loop() {
  // Sleeps until a child supervisor exits (its pidfd), someone wakes it (a start, a stop), or the poll
  // interval passes: recovered tasks of an earlier daemon are not our children and are only polled.
  std::unique_lock lock(mutex_);
  std::vector<pollfd> fds;
  while (!stopping_) {
    std::vector<Launch> launches;
    poll_tasks(&launches);
    if (!launches.empty() || !helper_queue_.empty()) {
      launch_unlocked(lock, std::move(launches));
      continue;  // settle and pick again before sleeping: the new supervisors' pidfds join the poll
    }
    fds.assign(1, pollfd{.fd = monitor_wake_.get(), .events = POLLIN, .revents = 0});
    for (const auto& [name, phase] : phases_) {
      for (const auto& task : phase->tasks) {
        if (task.state == PhaseState::running && task.supervisor_exit) {
          fds.push_back(pollfd{.fd = task.supervisor_exit.get(), .events = POLLIN, .revents = 0});
        }
      }
    }
    lock.unlock();
    ::poll(fds.data(), fds.size(), static_cast<int>(config_.poll_interval.count()));
    std::uint64_t wakes = 0;
    if (fds[0].revents & POLLIN) {
      (void)!::read(monitor_wake_.get(), &wakes, sizeof wakes);
    }
    lock.lock();
  }
}

void LocalExecutor::wake_monitor() {
  const std::uint64_t one = 1;
  (void)!::write(monitor_wake_.get(), &one, sizeof one);
}

PhaseObservation LocalExecutor::observe_locked(const PhaseRun& phase) const {
  PhaseObservation o;
  o.started_at = phase.started_at;
  o.finished_at = phase.finished_at;
  bool any_running = false, any_pending = false, any_failed = false, any_lost = false;
  for (const auto& task : phase.tasks) {
    TaskObservation t{task.name, task.state, task.exit ? task.exit->code : std::nullopt, ""};
    if (!task.launch_error.empty()) {
      t.message = "could not start: " + task.launch_error;
    } else if (!task.diagnosis.empty()) {
      t.message = task.diagnosis;
    } else if (task.exit) {
      t.message = task.stop_requested ? "stopped (" + task.exit->describe() + ")" : task.exit->describe();
    } else if (task.state == PhaseState::lost) {
      t.message = "the process vanished without an exit status";
    }
    any_running |= task.state == PhaseState::running;
    any_pending |= task.state == PhaseState::pending;
    any_failed |= task.state == PhaseState::failed;
    any_lost |= task.state == PhaseState::lost;
    if ((task.state == PhaseState::failed || task.state == PhaseState::lost) && o.message.empty()) {
      o.message = task.name + ": " + t.message;
    }
    o.tasks.push_back(std::move(t));
  }
  o.state = any_failed    ? PhaseState::failed
            : any_lost    ? PhaseState::lost
            : any_running ? PhaseState::running
            : any_pending ? PhaseState::pending
                          : PhaseState::succeeded;
  if (o.state == PhaseState::pending && o.message.empty()) {
    o.message =
        "waiting for a free slot (" + std::to_string(config_.max_running_tasks) + " tasks run at once)";
  }
  return o;
}

Result<PhaseObservation> LocalExecutor::observe(const PhaseId& id) {
  std::lock_guard lock(mutex_);
  auto it = phases_.find(id.name());
  if (it == phases_.end()) {
    return PhaseObservation{};
  }
  return observe_locked(*it->second);
}

Result<Changes> LocalExecutor::wait_for_change(std::uint64_t index, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const std::uint64_t interruptions = interruptions_;
  changed_.wait_for(lock, timeout,
                    [&] { return generation_ > index || stopping_ || interruptions_ != interruptions; });
  Changes changes{.index = generation_};
  changes.everything = index == 0 || recent_.empty() || recent_.front().first > index + 1;
  for (const auto& [generation, job] : recent_) {
    if (generation > index &&
        std::find(changes.job_ids.begin(), changes.job_ids.end(), job) == changes.job_ids.end()) {
      changes.job_ids.push_back(job);
    }
  }
  return changes;
}

void LocalExecutor::interrupt_waits() {
  {
    std::lock_guard lock(mutex_);
    ++interruptions_;
  }
  changed_.notify_all();
}

Result<LogChunk> LocalExecutor::read_log(const PhaseId& id, const std::string& task, LogOrigin origin,
                                         std::uint64_t offset, std::size_t max_bytes) {
  fs::path path;
  {
    std::lock_guard lock(mutex_);
    auto it = phases_.find(id.name());
    if (it == phases_.end()) {
      return make_error(ErrorKind::not_found, "logs: phase " + id.name() + " not found");
    }
    const auto& tasks = it->second->tasks;
    auto t = std::find_if(tasks.begin(), tasks.end(), [&](const Task& x) { return x.name == task; });
    if (t == tasks.end()) {
      return make_error(ErrorKind::not_found, "logs: task '" + task + "' not found in " + id.name());
    }
    path = t->dir / "output.log";
  }
  std::ifstream in(path, std::ios::binary);
  LogChunk chunk;
  if (!in) {
    return chunk;  // not started yet: an empty log
  }
  in.seekg(0, std::ios::end);
  chunk.total_size = static_cast<std::uint64_t>(in.tellg());
  std::uint64_t begin = 0;
  std::uint64_t end = chunk.total_size;
  if (origin == LogOrigin::end) {
    end = offset >= chunk.total_size ? 0 : chunk.total_size - offset;
    begin = end > max_bytes ? end - max_bytes : 0;
  } else {
    begin = std::min(offset, chunk.total_size);
    end = std::min<std::uint64_t>(chunk.total_size, begin + max_bytes);
  }
  chunk.offset = begin;
  chunk.bytes.resize(end - begin);
  in.seekg(static_cast<std::streamoff>(begin));
  in.read(chunk.bytes.data(), static_cast<std::streamsize>(chunk.bytes.size()));
  chunk.bytes.resize(static_cast<std::size_t>(in.gcount()));
  return chunk;
}

Result<std::string> LocalExecutor::read_result(const PhaseId& id) {
  auto text = read_file(phase_dir(id) / "result.json");
  if (!text) {
    return make_error(ErrorKind::not_found, "result: " + id.name() + " has written no result");
  }
  return *text;
}

Status LocalExecutor::stop(const PhaseId& id, std::chrono::seconds grace) {
  std::lock_guard lock(mutex_);
  auto it = phases_.find(id.name());
  if (it == phases_.end()) {
    return {};
  }
  bool stopping = false;
  for (auto& task : it->second->tasks) {
    if (task.stop_requested) {
      continue;
    }
    task.stop_requested = true;
    write_file(task.dir / "stop", format_utc(now_utc()) + "\n");
    if (task.state == PhaseState::running || task.launching) {
      if (!task.launching) {
        ::kill(-task.pid, SIGTERM);  // a launching task gets it once its start is recorded
      }
      task.kill_at = Clock::now() + grace;
      stopping = true;
    }
  }
  if (stopping && !it->second->test_image.empty()) {
    // Stopping `podman run` leaves its container running: stop and remove the containers themselves.
    run_podman(*it->second, "container-removal",
               remove_phase_containers_argv(config_.podman_path, id.name(), grace));
  }
  note_change(id.job_id);
  return {};
}

Result<std::vector<PhaseId>> LocalExecutor::list(const std::string& job_id) {
  std::lock_guard lock(mutex_);
  std::vector<PhaseId> out;
  for (const auto& [name, phase] : phases_) {
    if (job_id.empty() || phase->id.job_id == job_id) {
      out.push_back(phase->id);
    }
  }
  return out;
}

Status LocalExecutor::purge(const PhaseId& id) {
  std::string image;
  {
    std::lock_guard lock(mutex_);
    auto it = phases_.find(id.name());
    if (it == phases_.end()) {
      return {};
    }
    if (it->second->live()) {
      return make_error(ErrorKind::conflict, "purge: " + id.name() + " is still running; stop it first");
    }
    image = it->second->test_image;
  }
  if (!image.empty()) {
    // Nothing of the phase may outlive its record: its containers and its image go first (podman runs
    // without the lock held).
    for (auto argv : {remove_phase_containers_argv(config_.podman_path, id.name(), std::chrono::seconds(0)),
                      remove_image_argv(config_.podman_path, image)}) {
      auto done = podman(argv);
      if (!done || !done->status.success()) {
        return make_error(
            ErrorKind::unavailable,
            "purge: " + id.name() + ": " + format_argv(argv) + " failed: " +
                (done ? done->status.describe() + ": " + done->err.substr(0, 500) : done.error().message));
      }
    }
  }
  std::lock_guard lock(mutex_);
  auto it = phases_.find(id.name());
  if (it == phases_.end()) {
    return {};
  }
  std::error_code ec;
  fs::remove_all(it->second->dir, ec);
  if (ec) {
    return make_error(ErrorKind::unavailable,
                      "purge: cannot remove " + it->second->dir.string() + ": " + ec.message());
  }
  phases_.erase(it);
  note_change(id.job_id);
  return {};
}

Result<Captured> LocalExecutor::podman(std::vector<std::string> argv) const {
  return capture_process(Command{.argv = std::move(argv),
                                 .env = task_environment(PhaseId{}),
                                 .working_dir = config_.state_dir.string(),
                                 .run_as = user_},
                         RunOptions{.deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2)});
}

Result<std::vector<std::string>> LocalExecutor::sweep() {
  auto listed = podman(list_containers_argv(config_.podman_path, config_.state_dir.string()));
  if (!listed) {
    return listed.error();
  }
  if (!listed->status.success()) {
    return make_error(ErrorKind::unavailable,
                      "podman ps failed (" + listed->status.describe() + "): " + listed->err.substr(0, 500));
  }
  std::vector<std::string> doomed;
  bool any_live = false;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, phase] : phases_) {
      any_live = any_live || phase->live();
    }
    std::istringstream lines(listed->out);
    std::string name, phase_name;
    while (lines >> name >> phase_name) {
      auto it = phases_.find(phase_name);
      if (it == phases_.end() || !it->second->live()) {
        doomed.push_back(name);
      }
    }
  }
  std::vector<std::string> removed_lines;
  if (!doomed.empty()) {
    std::vector<std::string> argv{config_.podman_path.string(), "rm", "--force", "--ignore", "--time", "0"};
    argv.insert(argv.end(), doomed.begin(), doomed.end());
    auto removed = podman(std::move(argv));
    if (!removed) {
      return removed.error();
    }
    if (!removed->status.success()) {
      return make_error(ErrorKind::unavailable, "podman rm failed (" + removed->status.describe() +
                                                    "): " + removed->err.substr(0, 500));
    }
    for (const auto& name : doomed) {
      removed_lines.push_back("container " + name);
    }
  }
  // The layers of untagged test images, only while no pull of ours can be sharing them.
  if (!any_live) {
    auto pruned = podman(prune_images_argv(config_.podman_path));
    if (pruned && pruned->status.success()) {
      std::istringstream ids(pruned->out);
      for (std::string id; ids >> id;) {
        removed_lines.push_back("image " + id);
      }
    }
  }
  return removed_lines;
}

Status LocalExecutor::ready() {
  const fs::path probe = config_.state_dir / "phases" / ".ready";
  if (!write_file(probe, "ok\n")) {
    return make_error(ErrorKind::unavailable,
                      "local executor: state directory " + config_.state_dir.string() + " is not writable");
  }
  return {};
}

}  // namespace nbs::jobs
