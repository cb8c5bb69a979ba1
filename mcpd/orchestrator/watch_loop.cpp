#include <algorithm>

#include <spdlog/spdlog.h>

#include "mcpd/orchestrator/orchestrator.hpp"

namespace nbs::mcpd {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

void Orchestrator::watch_loop() {
  std::unique_lock guard(mutex_);
  while (!stopping_) {
    const auto now = SteadyClock::now();
    for (const auto& [id, when] : active_) {
      if (when <= now) {
        dirty_.insert(id);
      }
    }
    if (dirty_.empty()) {
      auto next = now + config_.idle_check;
      for (const auto& [id, when] : active_) {
        next = std::min(next, when);
      }
      wake_.wait_until(guard, next, [this] { return stopping_ || !dirty_.empty(); });
      continue;
    }
    const std::set<std::string> dirty = std::exchange(dirty_, {});
    // Oldest first, so that jobs woken together take a free build lock in the order they came.
    std::vector<std::pair<SystemTime, std::string>> batch;
    for (const auto& id : dirty) {
      auto cached = cache_.find(id);
      const SystemTime submitted = cached != cache_.end() && cached->second.record.times.job_start
                                       ? *cached->second.record.times.job_start
                                       : SystemTime::max();
      batch.emplace_back(submitted, id);
    }
    std::sort(batch.begin(), batch.end());
    guard.unlock();
    for (const auto& [submitted, id] : batch) {
      reconcile(id);
    }
    guard.lock();
  }
}

void Orchestrator::executor_watch_loop() {
  std::uint64_t index = 0;
  while (true) {
    {
      std::lock_guard guard(mutex_);
      if (stopping_) {
        executor_watcher_done_ = true;
        return;
      }
    }
    // Long waits: a Nomad executor turns this into one blocking query for all of our jobs.
    auto changes = executor_.wait_for_change(index, 60s);
    if (!changes) {
      spdlog::warn("orchestrator: watching the executor failed: {}", changes.error().message);
      std::unique_lock guard(mutex_);
      wake_.wait_for(guard, 1s, [this] { return stopping_; });
      continue;
    }
    if (changes->index == index) {
      continue;
    }
    index = changes->index;
    {
      std::lock_guard guard(mutex_);
      for (const auto& [id, when] : active_) {
        if (changes->everything ||
            std::find(changes->job_ids.begin(), changes->job_ids.end(), id) != changes->job_ids.end()) {
          dirty_.insert(id);
        }
      }
    }
    wake_.notify_all();
  }
}

void Orchestrator::mark_dirty(const std::string& job_id) {
  {
    std::lock_guard guard(mutex_);
    dirty_.insert(job_id);
    active_[job_id] = SteadyClock::now();
  }
  wake_.notify_all();
}

void Orchestrator::schedule(const std::string& job_id, const JobRecord& current,
                            const Observation& observation, const std::vector<SystemTime>& deadlines,
                            Applied applied) {
  const auto seen = observation.active ? observation.active->state : jobs::PhaseState::absent;
  const bool phase_underway = applied.started || seen == jobs::PhaseState::running ||
                              seen == jobs::PhaseState::pending || seen == jobs::PhaseState::unplaceable;
  if (current.settled) {
    forget(job_id);
  } else {
    active_[job_id] =
        applied.again || !start_errors_.empty() ? SteadyClock::now() : next_check(phase_underway, deadlines);
  }
  if (current.settled || applied.ended) {
    // Whoever waited for this job's lock may go now. Only jobs still PENDING wait for a lock; waking
    // the running ones too would make every job's end cost each of them a look at its phase.
    for (auto& [id, when] : active_) {
      auto cached = cache_.find(id);
      if (cached == cache_.end() || cached->second.record.status == JobStatus::pending) {
        when = std::min(when, SteadyClock::now());
      }
    }
  }
}

std::chrono::steady_clock::time_point Orchestrator::next_check(
    bool phase_underway, const std::vector<SystemTime>& deadlines) const {
  const auto now = SteadyClock::now();
  // A phase under way reports its end through the executor; a waiting job may be freed by a change
  // the executor does not report (another daemon's lock), and a phase that could not start is retried.
  auto next = now + std::chrono::duration_cast<SteadyClock::duration>(phase_underway ? config_.running_check
                                                                                     : config_.idle_check);
  // Come back exactly when a deadline of the phase passes (the decision says which).
  const auto wall_now = now_utc();
  for (const SystemTime at : deadlines) {
    if (at > wall_now) {
      next = std::min(next, now + std::chrono::duration_cast<SteadyClock::duration>(at - wall_now));
    }
  }
  return next;
}

}  // namespace nbs::mcpd
