#include "jobs/nomad_executor/phase_memory.hpp"

#include <algorithm>
#include <utility>

namespace nbs::jobs::nomad {

std::optional<std::vector<std::string>> PhaseMemory::groups(const std::string& job) {
  std::lock_guard lock(mutex_);
  const Entry* e = find(job);
  return e != nullptr ? e->groups : std::nullopt;
}

void PhaseMemory::remember_groups(const std::string& job, std::vector<std::string> groups) {
  std::lock_guard lock(mutex_);
  slot(job).groups = std::move(groups);
}

void PhaseMemory::remember_allocations(const std::string& job, const std::vector<Allocation>& allocs) {
  // Rule 2 of alloc_state.hpp, per task: the newest allocation that has reported it.
  std::map<std::string, const Allocation*> newest;
  for (const auto& a : allocs) {
    for (const auto& [task, state] : a.task_states) {
      const Allocation*& n = newest[task];
      if (n == nullptr || a.create_index > n->create_index) {
        n = &a;
      }
    }
  }
  if (newest.empty()) {
    return;
  }
  std::lock_guard lock(mutex_);
  Entry& e = slot(job);
  for (const auto& [task, alloc] : newest) {
    TaskMemo& memo = e.tasks[task];
    if (memo.alloc_id != alloc->id) {
      memo = TaskMemo{.alloc_id = alloc->id};
    }
    memo.finished = alloc->task_states.at(task).state == "dead";
  }
}

std::optional<TaskMemo> PhaseMemory::task(const std::string& job, const std::string& task) {
  std::lock_guard lock(mutex_);
  const Entry* e = find(job);
  if (e == nullptr) {
    return std::nullopt;
  }
  auto it = e->tasks.find(task);
  return it != e->tasks.end() ? std::optional<TaskMemo>(it->second) : std::nullopt;
}

void PhaseMemory::remember_log_size(const std::string& job, const std::string& task,
                                    const std::string& alloc_id, std::uint64_t size) {
  std::lock_guard lock(mutex_);
  Entry* e = find(job);
  if (e == nullptr) {
    return;
  }
  auto it = e->tasks.find(task);
  if (it != e->tasks.end() && it->second.alloc_id == alloc_id && it->second.finished) {
    it->second.log_size = size;
  }
}

void PhaseMemory::forget_log_size(const std::string& job, const std::string& task) {
  std::lock_guard lock(mutex_);
  Entry* e = find(job);
  if (e == nullptr) {
    return;
  }
  if (auto it = e->tasks.find(task); it != e->tasks.end()) {
    it->second.log_size.reset();
  }
}

std::optional<std::string> PhaseMemory::result(const std::string& job) {
  std::lock_guard lock(mutex_);
  const Entry* e = find(job);
  return e != nullptr ? e->result : std::nullopt;
}

void PhaseMemory::remember_result(const std::string& job, std::string text) {
  if (text.size() > k_max_result_bytes) {
    return;
  }
  std::lock_guard lock(mutex_);
  slot(job).result = std::move(text);
}

std::optional<TaskReports> PhaseMemory::reports(const std::string& job, const std::string& task) {
  std::lock_guard lock(mutex_);
  const Entry* e = find(job);
  if (e == nullptr) {
    return std::nullopt;
  }
  const auto it = e->reports.find(task);
  return it != e->reports.end() ? std::optional(it->second) : std::nullopt;
}

void PhaseMemory::remember_reports(const std::string& job, const std::string& task, TaskReports reports) {
  std::lock_guard lock(mutex_);
  slot(job).reports[task] = std::move(reports);
}

void PhaseMemory::remember_secrets(const std::string& job) {
  std::lock_guard lock(mutex_);
  slot(job).secrets = true;
}

bool PhaseMemory::take_secrets(const std::string& job) {
  std::lock_guard lock(mutex_);
  Entry* e = find(job);
  return e != nullptr && std::exchange(e->secrets, false);
}

void PhaseMemory::forget(const std::string& job) {
  std::lock_guard lock(mutex_);
  entries_.erase(job);
}

std::size_t PhaseMemory::size() {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

PhaseMemory::Entry* PhaseMemory::find(const std::string& job) {
  auto it = entries_.find(job);
  if (it == entries_.end()) {
    return nullptr;
  }
  it->second.used = ++tick_;
  return &it->second;
}

PhaseMemory::Entry& PhaseMemory::slot(const std::string& job) {
  if (Entry* e = find(job)) {
    return *e;
  }
  if (entries_.size() >= capacity_ && !entries_.empty()) {
    // Linear, but only when a new phase arrives while full.
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return a.second.used < b.second.used;
    });
    entries_.erase(oldest);
  }
  Entry& e = entries_[job];
  e.used = ++tick_;
  return e;
}

}  // namespace nbs::jobs::nomad
