// The embedded executor for one machine without Nomad: build, publish and cleanup phases run
// nbs-runner, test phases run `podman run` of the temporary image, each as a supervised child process
// (as the build user when the daemon is root). Everything it knows lives under its state directory, so
// a restarted daemon finds running and finished phases where it left them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/fd.hpp"
#include "jobs/executor.hpp"
#include "jobs/local/podman_storage.hpp"
#include "jobs/local/task_supervisor.hpp"

namespace nbs::jobs {

struct LocalExecutorConfig {
  std::filesystem::path state_dir;  // phases live in <state_dir>/phases/<nbs-id-phase>/
  std::filesystem::path runner_path;
  std::filesystem::path supervisor_path;  // nbs-task-supervisor (the daemon finds it beside itself)
  std::filesystem::path podman_path = "/usr/bin/podman";
  // Where the test images and containers live (podman_storage.hpp), the daemon's own; empty: the build
  // user's default storage.
  std::filesystem::path podman_storage;
  StorageDriver storage_driver = StorageDriver::overlay;
  std::string build_user;                // tasks run as this user when the daemon is root; "" = as the daemon
  std::vector<std::string> podman_args;  // inserted after `podman run`, e.g. --runtime runc --network host
  std::vector<std::string> task_env;  // extra "NAME=value" for every task (e.g. CONTAINERS_REGISTRIES_CONF)
  // The files a job's build.secrets and build.ssh may name ("file:<name>"); empty: none may.
  std::filesystem::path build_secrets_dir;
  unsigned max_running_tasks = std::max(1u, std::thread::hardware_concurrency());
  int task_nice = 0;  // every task and podman helper (TaskSpawn::nice)
  std::chrono::milliseconds poll_interval{100};
};

class LocalExecutor : public Executor {
 public:
  static Result<std::unique_ptr<LocalExecutor>> create(LocalExecutorConfig config);
  ~LocalExecutor() override;

  Status start(const PhaseLaunch& launch) override;
  Result<PhaseObservation> observe(const PhaseId& id) override;
  Result<Changes> wait_for_change(std::uint64_t index, std::chrono::milliseconds timeout) override;
  void interrupt_waits() override;
  Result<LogChunk> read_log(const PhaseId& id, const std::string& task, LogOrigin origin,
                            std::uint64_t offset, std::size_t max_bytes) override;
  Result<std::string> read_result(const PhaseId& id) override;
  Result<std::vector<ReportFile>> reports(const PhaseId& id) override;  // reports.cpp
  Result<LogChunk> read_report(const PhaseId& id, const std::string& task, std::size_t index,
                               std::uint64_t offset, std::size_t max_bytes) override;
  Status stop(const PhaseId& id, std::chrono::seconds grace) override;
  Result<std::vector<PhaseId>> list(const std::string& job_id) override;
  Status purge(const PhaseId& id) override;
  Status ready() override;
  std::vector<FieldError> unsupported(const JobRequest& request) const override;
  Result<std::vector<std::string>> sweep() override;

 private:
  struct Task;
  struct PhaseRun;

  explicit LocalExecutor(LocalExecutorConfig config);
  struct Launch;
  void recover();
  void monitor_loop();
  // Settles what ended and picks the pending tasks that may start now (marked `launching`; only when
  // `launches` is given); true when something changed. Under mutex_.
  bool poll_tasks(std::vector<Launch>* launches);
  void note_change(const std::string& job_id);  // under mutex_
  void wake_monitor();
  Launch prepare_launch(const PhaseRun& phase, std::size_t task_index) const;  // under mutex_
  // Starts the picked tasks and queued helpers without mutex_ (held by `lock` on entry and on return):
  // a start waits for a new process, which observe, read_log and start must not wait for.
  void launch_unlocked(std::unique_lock<std::mutex>& lock, std::vector<Launch> launches);
  void record_launch(Task& task, const Result<SupervisedTask>& spawned);  // under mutex_
  std::vector<std::string> task_environment(const PhaseId& id) const;
  // A task just ended: its env files and the runner's spec go, its exit is explained.
  void settle(PhaseRun& phase, Task& task);
  // Queues a podman command for a phase to run in the background, as the tasks run (it outlives the
  // daemon); the monitor starts it outside mutex_. Under mutex_.
  void run_podman(const PhaseRun& phase, const std::string& what, std::vector<std::string> argv);
  void reap_helpers();  // waits for the run_podman commands that ended
  // Drops the phase's queued run_podman commands and waits (at most `limit`) for its running ones, which
  // write their logs into the phase's directory. Under mutex_, held by `lock`.
  bool settle_helpers(std::unique_lock<std::mutex>& lock, const std::filesystem::path& phase_dir,
                      std::chrono::milliseconds limit);
  Result<Captured> podman(std::vector<std::string> argv) const;  // runs one to its end
  std::filesystem::path phase_dir(const PhaseId& id) const;
  PhaseObservation observe_locked(const PhaseRun& phase) const;

  LocalExecutorConfig config_;
  std::optional<UserIdentity> user_;
  PodmanCommand podman_;  // config_.podman_path with the options that choose config_.podman_storage
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t generation_ = 1;
  std::deque<std::pair<std::uint64_t, std::string>> recent_;  // (generation, job id), the last few hundred
  std::map<std::string, std::unique_ptr<PhaseRun>> phases_;   // by PhaseId::name()
  bool stopping_ = false;
  std::uint64_t interruptions_ = 0;
  struct Helper {
    pid_t pid = 0;  // 0 while the monitor starts it
    std::filesystem::path phase_dir;
  };
  std::vector<Helper> helpers_;          // run_podman commands started (or starting), not yet waited for
  std::vector<TaskSpawn> helper_queue_;  // run_podman commands not started yet
  Fd monitor_wake_;                      // an eventfd: ends the monitor's sleep
  std::thread monitor_;
};

}  // namespace nbs::jobs
