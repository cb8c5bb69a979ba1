// Runs the tasks of one allocation, one thread each (all at once: lifecycle hooks are not simulated),
// and kills the siblings of a failed task as Nomad does.
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "tests/nomad_sim/task_runner.hpp"

namespace nbs::nomad_sim {

class AllocRunner {
 public:
  AllocRunner(SimState& state, const SimConfig& config, std::vector<TaskPlan> plans);
  ~AllocRunner();
  AllocRunner(const AllocRunner&) = delete;
  AllocRunner& operator=(const AllocRunner&) = delete;

  // Creates the shared alloc dir (alloc/data, alloc/logs, alloc/tmp) and starts every task.
  void start();
  // Job stopped or alloc replaced: kill every task (KillSignal, KillTimeout, SIGKILL).
  void stop();
  // Node lost: SIGKILL everything, report nothing.
  void lose();
  bool done() const { return remaining_ == 0; }
  void join();

 private:
  void on_task_done(std::size_t index);

  std::vector<std::unique_ptr<TaskRunner>> tasks_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> remaining_{0};
  std::filesystem::path alloc_root_;
};

}  // namespace nbs::nomad_sim
