// Runs one task of an allocation on its own thread, as Nomad's client task runner does: setup, start,
// log capture with rotation, restarts within RestartPolicy, kill with KillSignal then SIGKILL after
// KillTimeout, and the TaskState/TaskEvents the API reports.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "tests/nomad_sim/sim_config.hpp"
#include "tests/nomad_sim/state_store.hpp"
#include "tests/nomad_sim/task_driver.hpp"
#include "tests/nomad_sim/task_plan.hpp"

namespace nbs::nomad_sim {

class TaskRunner {
 public:
  TaskRunner(SimState& state, const SimConfig& config, TaskPlan plan);

  // Blocks until the task is dead (or lost). Call once, on a dedicated thread.
  void run();
  // Asks the task to stop; `reason` (e.g. "Sibling Task Failed") is recorded before "Killing".
  void kill(std::optional<TaskEvent> reason);
  // The node is gone: SIGKILL at once and report nothing more.
  void lose();

  bool failed() const { return failed_; }
  const std::string& name() const { return plan_.identity.task; }

 private:
  struct Outcome {
    ExitStatus exit;
    bool killed = false;
    std::string driver_error;  // the container runtime refused to start the process
  };

  void update(const std::function<void(TaskState&)>& change);
  void emit(TaskEvent event);
  void finish(bool failed);
  Outcome supervise(const ChildProcess& child, const DriverLaunch& launch);
  Outcome run_mock();
  // Sleeps up to `d`; true when a kill or loss interrupted it.
  bool sleep_or_killed(std::chrono::nanoseconds d);
  // Emits the kill reason and "Killing" once; returns the signal to send.
  int begin_kill();
  bool kill_requested() const;

  SimState& state_;
  const SimConfig& config_;
  TaskPlan plan_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> lost_{false};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool kill_requested_ = false;
  std::optional<TaskEvent> kill_reason_;
};

}  // namespace nbs::nomad_sim
