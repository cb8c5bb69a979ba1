// What the Nomad executor remembers of the phases it looks at, so that a repeated look costs fewer
// requests: facts that do not change for the life of a phase's Nomad job (its task groups, a finished
// task's allocation and log size, the result file of a finished runner) and the allocation a task
// runs in (refreshed by every read of the job's allocations). Keyed by Nomad job id; bounded (the
// least recently used phase is dropped first); thread-safe.
//
// Dropping an entry is always safe: the executor then asks Nomad again. So the executor drops one
// when the phase is stopped or purged, when the job list no longer shows it, and when Nomad no longer
// knows a remembered allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "jobs/executor.hpp"
#include "jobs/nomad/allocations.hpp"

namespace nbs::jobs::nomad {

// What was collected of a finished test task's reports (test.reports): final, as the task never runs
// again. files[i].index is the index into alloc_paths of a file that was kept.
struct TaskReports {
  std::string alloc_id;
  std::vector<ReportFile> files;
  std::vector<std::string> alloc_paths;  // as the fs API addresses them
};

// A task's newest allocation as last seen.
struct TaskMemo {
  std::string alloc_id;
  bool finished = false;                  // the task was dead in that allocation (it never runs again)
  std::optional<std::uint64_t> log_size;  // stdout bytes, once known for a finished task (final)
};

class PhaseMemory {
 public:
  static constexpr std::size_t k_default_capacity = 1024;
  // Larger result files are not kept.
  static constexpr std::size_t k_max_result_bytes = std::size_t{16} * 1024;

  explicit PhaseMemory(std::size_t capacity = k_default_capacity) : capacity_(capacity) {}

  // The job's task group names, when remembered.
  std::optional<std::vector<std::string>> groups(const std::string& job);
  void remember_groups(const std::string& job, std::vector<std::string> groups);

  // Remembers, for every task that has reported in `allocs`, its newest allocation (highest
  // CreateIndex) and whether it finished there. A task that moved to another allocation loses its
  // log size.
  void remember_allocations(const std::string& job, const std::vector<Allocation>& allocs);
  std::optional<TaskMemo> task(const std::string& job, const std::string& task);
  // The final stdout size of a finished task, if `alloc_id` is still its remembered allocation.
  void remember_log_size(const std::string& job, const std::string& task, const std::string& alloc_id,
                         std::uint64_t size);
  void forget_log_size(const std::string& job, const std::string& task);

  // The result file of the phase's finished runner.
  std::optional<std::string> result(const std::string& job);
  void remember_result(const std::string& job, std::string text);

  // A finished test task's reports, once read.
  std::optional<TaskReports> reports(const std::string& job, const std::string& task);
  void remember_reports(const std::string& job, const std::string& task, TaskReports reports);

  // The phase's secret build args wait in its Variable: remembered at its start, taken (true once)
  // when they are removed.
  void remember_secrets(const std::string& job);
  bool take_secrets(const std::string& job);

  void forget(const std::string& job);
  std::size_t size();

 private:
  struct Entry {
    std::optional<std::vector<std::string>> groups;
    std::map<std::string, TaskMemo> tasks;
    std::optional<std::string> result;
    std::map<std::string, TaskReports> reports;
    bool secrets = false;
    std::uint64_t used = 0;  // tick of the last use, for eviction
  };

  Entry* find(const std::string& job);  // marks it used
  Entry& slot(const std::string& job);  // creates it, evicting the least recently used when full

  std::mutex mutex_;
  std::size_t capacity_;
  std::uint64_t tick_ = 0;
  std::map<std::string, Entry> entries_;
};

}  // namespace nbs::jobs::nomad
