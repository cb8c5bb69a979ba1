#include "tests/nomad_sim/task_runner.hpp"

#include <array>
#include <cerrno>
#include <map>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <variant>

#include "common/process.hpp"
#include "tests/nomad_sim/log_rotator.hpp"
#include "tests/nomad_sim/task_events.hpp"
#include "tests/nomad_sim/task_process.hpp"
#include "tests/nomad_sim/task_setup.hpp"
#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

using Clock = std::chrono::steady_clock;

int signal_number(const std::string& name, int fallback) {
  static const std::map<std::string, int> k_signals = {
      {"SIGINT", SIGINT},   {"SIGTERM", SIGTERM}, {"SIGKILL", SIGKILL}, {"SIGHUP", SIGHUP},
      {"SIGQUIT", SIGQUIT}, {"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2},
  };
  const auto it = k_signals.find(name);
  return it == k_signals.end() ? fallback : it->second;
}

// Reads what is available from `fd` into `log`, keeping the first bytes in `head`; false at EOF or error.
bool pump(int fd, LogRotator& log, std::string& head) {
  std::array<char, 65536> buf{};
  const ssize_t n = ::read(fd, buf.data(), buf.size());
  if (n > 0) {
    const std::string_view got(buf.data(), static_cast<std::size_t>(n));
    log.write(got);
    head.append(got.substr(0, std::min(got.size(), 4096 - std::min<std::size_t>(head.size(), 4096))));
    return true;
  }
  return n < 0 && (errno == EINTR || errno == EAGAIN);
}

// Runs a podman command to its end (container housekeeping, as the real drivers do through their API).
// Its output is read to the end: podman is a Go program, and a write to a closed stdout or stderr
// (a "resorting to SIGKILL" warning in the middle of a stop) would kill it with SIGPIPE half-way,
// leaving the container in state "stopping".
bool run_podman(const std::string& podman, std::vector<std::string> args) {
  std::vector<std::string> argv = podman_command(podman);
  argv.insert(argv.end(), args.begin(), args.end());
  const nbs::Command command{
      .argv = std::move(argv),
      .env = std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}};
  const auto done = nbs::capture_process(command);
  return done && done->status.success();
}

std::string not_restarting_reason(std::int64_t attempts, std::int64_t interval_ns, const std::string& mode) {
  if (attempts == 0) {
    return "Policy allows no restarts";
  }
  return "Exceeded allowed attempts " + std::to_string(attempts) + " in interval " +
         format_go_duration(std::chrono::nanoseconds(interval_ns)) + " and mode is \"" + mode + "\"";
}

}  // namespace

TaskRunner::TaskRunner(SimState& state, const SimConfig& config, TaskPlan plan)
    : state_(state), config_(config), plan_(std::move(plan)) {}

void TaskRunner::update(const std::function<void(TaskState&)>& change) {
  if (lost_) {
    return;
  }
  state_.write([&](Tables& t) {
    const auto it = t.allocs.find(plan_.alloc_id);
    if (it == t.allocs.end() || it->second.client_status == "lost") {
      return;
    }
    Allocation& a = it->second;
    change(a.task_states[name()]);
    const std::uint64_t idx = t.bump();
    a.modify_index = idx;
    a.modify_time = now_ns();
    derive_client_status(a);
    t.allocs_index = idx;
    refresh_job_status(t, plan_.job_key);
  });
}

void TaskRunner::emit(TaskEvent event) {
  update([&](TaskState& s) { s.events.push_back(std::move(event)); });
}

void TaskRunner::finish(bool failed) {
  failed_ = failed;
  update([&](TaskState& s) {
    s.state = "dead";
    s.failed = failed;
    s.finished_at = now_ns();
  });
}

bool TaskRunner::kill_requested() const {
  std::lock_guard lock(mu_);
  return kill_requested_ || lost_;
}

void TaskRunner::kill(std::optional<TaskEvent> reason) {
  std::lock_guard lock(mu_);
  if (!kill_requested_) {
    kill_requested_ = true;
    kill_reason_ = std::move(reason);
  }
  cv_.notify_all();
}

void TaskRunner::lose() {
  std::lock_guard lock(mu_);
  lost_ = true;
  cv_.notify_all();
}

bool TaskRunner::sleep_or_killed(std::chrono::nanoseconds d) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, d, [this] { return kill_requested_ || lost_.load(); });
}

int TaskRunner::begin_kill() {
  std::optional<TaskEvent> reason;
  {
    std::lock_guard lock(mu_);
    reason = std::move(kill_reason_);
    kill_reason_.reset();
  }
  if (reason) {
    emit(std::move(*reason));
  }
  const std::string sig_name = string_field(plan_.task, "KillSignal");
  const bool container = plan_.driver() == "docker" || plan_.driver() == "podman";
  const auto timeout = std::chrono::nanoseconds(int_field(plan_.task, "KillTimeout", 5'000'000'000));
  emit(event_killing(timeout, sig_name));
  return signal_number(sig_name, container ? SIGTERM : SIGINT);
}

TaskRunner::Outcome TaskRunner::supervise(const ChildProcess& child, const DriverLaunch& launch) {
  const auto logs = plan_.alloc_root / "alloc" / "logs";
  const json::object* log_config = object_field(plan_.task, "LogConfig");
  const auto max_bytes = config_.log_max_bytes;
  const int max_files = log_config != nullptr ? static_cast<int>(int_field(*log_config, "MaxFiles", 10)) : 10;
  LogRotator out(logs, name() + ".stdout", max_bytes, max_files);
  LogRotator err(logs, name() + ".stderr", max_bytes, max_files);
  const auto timeout = std::chrono::nanoseconds(int_field(plan_.task, "KillTimeout", 5'000'000'000));
  std::array<pollfd, 2> fds{{{child.out_fd, POLLIN, 0}, {child.err_fd, POLLIN, 0}}};
  std::optional<Clock::time_point> force_at;
  std::optional<Clock::time_point> drain_until;
  bool killed = false;
  bool sigkilled = false;
  std::optional<ExitStatus> exit;
  std::string out_head, err_head;
  std::optional<std::thread> container_stop;
  const bool container = !launch.container_name.empty();
  while (fds[0].fd >= 0 || fds[1].fd >= 0 || !exit) {
    ::poll(fds.data(), fds.size(), 100);
    for (auto& p : fds) {
      const bool is_out = p.fd == child.out_fd;
      if (p.fd >= 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
          !pump(p.fd, is_out ? out : err, is_out ? out_head : err_head)) {
        ::close(p.fd);
        p.fd = -1;
      }
      p.revents = 0;
    }
    // A lost allocation is killed at once, ahead of a requested kill; the forced kill after a requested
    // one's timeout comes last. The same body, at two places in that order.
    // NOLINTNEXTLINE(bugprone-branch-clone): the order of the three conditions matters, see above
    if (lost_ && !sigkilled) {
      ::kill(-child.pid, SIGKILL);
      sigkilled = true;
    } else if (kill_requested() && !killed) {
      killed = true;
      const int sig = begin_kill();
      if (container) {
        // The drivers stop the container itself (docker's ContainerStop with the kill timeout): the
        // client process is not the container, and a signal to it need not reach the container's PID 1.
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
        container_stop.emplace([podman = config_.podman, name = launch.container_name, seconds] {
          run_podman(podman, {"stop", "--time", std::to_string(seconds), name});
        });
      } else {
        ::kill(-child.pid, sig);
      }
      // A container's stop has the timeout itself; the client gets a little longer to see it end.
      force_at = Clock::now() + timeout + (container ? std::chrono::seconds(5) : std::chrono::seconds(0));
    } else if (force_at && !sigkilled && Clock::now() >= *force_at) {
      ::kill(-child.pid, SIGKILL);
      sigkilled = true;
    }
    int status = 0;
    if (!exit && ::waitpid(child.pid, &status, WNOHANG) == child.pid) {
      exit = decode_wait_status(status);
      ::kill(-child.pid, SIGKILL);  // leftovers of the task die with it, as under Nomad's executor
      drain_until = Clock::now() + std::chrono::milliseconds(500);
    }
    if (drain_until && Clock::now() >= *drain_until) {
      break;
    }
  }
  for (int fd : {fds[0].fd, fds[1].fd}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  if (container_stop) {
    container_stop->join();
  }
  if (container && (killed || sigkilled)) {
    // A stopped or lost task's container goes with it, as the drivers remove theirs.
    // Docker's driver retries a removal that fails while the engine is still busy with the container.
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (run_podman(config_.podman, {"rm", "--force", "--ignore", launch.container_name})) {
        break;
      }
    }
  }
  Outcome outcome{exit.value_or(ExitStatus{}), killed};
  // The runtime could not start the container's process (a missing entry point, /bin/sh in an image
  // without one): Docker's and podman's drivers report that as a Driver Failure, not as an exit.
  const std::string& runtime_said = err_head.empty() ? out_head : err_head;
  if (const auto at = runtime_said.find("OCI runtime");
      container && !killed && (outcome.exit.code == 126 || outcome.exit.code == 127) &&
      at != std::string::npos) {
    const auto line_start = runtime_said.rfind('\n', at);
    const auto from = line_start == std::string::npos ? 0 : line_start + 1;
    outcome.driver_error = runtime_said.substr(from, runtime_said.find('\n', at) - from);
  }
  return outcome;
}

TaskRunner::Outcome TaskRunner::run_mock() {
  const json::object* cfg = object_field(plan_.task, "Config");
  const json::object empty;
  const json::object& c = cfg != nullptr ? *cfg : empty;
  const auto logs = plan_.alloc_root / "alloc" / "logs";
  LogRotator out(logs, name() + ".stdout", config_.log_max_bytes, 10);
  LogRotator err(logs, name() + ".stderr", config_.log_max_bytes, 10);
  const std::int64_t repeat = std::max<std::int64_t>(int_field(c, "stdout_repeat"), 1);
  for (std::int64_t i = 0; i < repeat; ++i) {
    out.write(string_field(c, "stdout_string"));
  }
  err.write(string_field(c, "stderr_string"));
  const auto run_for =
      parse_go_duration(string_field(c, "run_for", "0s")).value_or(std::chrono::nanoseconds(0));
  if (sleep_or_killed(run_for)) {
    if (!lost_) {
      begin_kill();
    }
    return {{0, 0}, true};
  }
  return {{static_cast<int>(int_field(c, "exit_code")), 0}, false};
}

void TaskRunner::run() {
  emit(event_received());
  emit(event_task_setup());
  const json::object* policy = object_field(plan_.group, "RestartPolicy");
  const json::object empty;
  const json::object& rp = policy != nullptr ? *policy : empty;
  const std::int64_t attempts = int_field(rp, "Attempts");
  const bool mock = plan_.driver() == "mock_driver";
  for (std::uint64_t restarts = 0;; ++restarts) {
    if (kill_requested()) {
      emit(event_killed());
      return finish(false);
    }
    DriverLaunch launch;
    std::optional<ChildProcess> child;
    if (!mock) {
      auto prepared = prepare_task(plan_, config_, state_);
      if (auto* failure = std::get_if<SetupFailure>(&prepared)) {
        emit(failure->kind == SetupFailure::Kind::validation ? event_failed_validation(failure->message)
                                                             : event_setup_failure(failure->message));
        emit(event_not_restarting("Error was unrecoverable"));
        return finish(true);
      }
      launch = std::move(std::get<DriverLaunch>(prepared));
      auto started = launch_process(launch.spec);
      if (!started) {
        emit(event_driver_failure("failed to launch command with executor: " + started.error().message));
        emit(event_not_restarting("Error was unrecoverable"));
        return finish(true);
      }
      child = *started;
    }
    update([](TaskState& s) {
      s.state = "running";
      if (s.started_at == 0) {
        s.started_at = now_ns();
      }
    });
    emit(event_started());
    const Outcome outcome = mock ? run_mock() : supervise(*child, launch);
    if (lost_) {
      return;
    }
    if (!outcome.driver_error.empty()) {
      emit(event_driver_failure("failed to start task: " + outcome.driver_error));
      emit(event_not_restarting("Error was unrecoverable"));
      return finish(true);
    }
    emit(event_terminated(outcome.exit.code, outcome.exit.signal));
    if (outcome.killed) {
      emit(event_killed());
      return finish(false);
    }
    if (outcome.exit.code == 0 && outcome.exit.signal == 0) {
      return finish(false);
    }
    if (static_cast<std::int64_t>(restarts) >= attempts) {
      emit(event_not_restarting(
          not_restarting_reason(attempts, int_field(rp, "Interval"), string_field(rp, "Mode", "fail"))));
      return finish(true);
    }
    const auto delay = std::chrono::nanoseconds(int_field(rp, "Delay"));
    emit(event_restarting(delay));
    update([](TaskState& s) { s.state = "pending"; });
    if (sleep_or_killed(delay) && lost_) {
      return;
    }
    update([](TaskState& s) {
      s.restarts += 1;
      s.last_restart = now_ns();
    });
  }
}

}  // namespace nbs::nomad_sim
