// Orchestrator::reconcile, one pass over one job: READ (here) → DECIDE (decide(), reconciler.cpp) →
// APPLY (reconcile_apply.cpp).
#include <spdlog/spdlog.h>

#include "mcpd/orchestrator/orchestrator.hpp"

namespace nbs::mcpd {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

void Orchestrator::reconcile(const std::string& job_id) {
  std::optional<Snapshot> snapshot = read(job_id);
  if (!snapshot) {
    return;
  }
  Decision decision = decide(snapshot->known.record, snapshot->observation, config_.reconcile);
  apply(job_id, *snapshot, std::move(decision));
}

std::optional<Orchestrator::Snapshot> Orchestrator::read(const std::string& job_id) {
  std::optional<ActiveRecord> known = load(job_id);
  if (!known) {
    return std::nullopt;
  }
  if (known->record.settled) {
    std::lock_guard guard(mutex_);
    forget(job_id);
    return std::nullopt;
  }
  LockTerms lock = lock_terms(known->record, config_);
  auto observation = observe(known->record, lock);
  if (!observation) {
    // The executor or the store is unavailable: look again soon, change nothing.
    spdlog::warn("orchestrator: job {}: {}", job_id, observation.error().message);
    std::lock_guard guard(mutex_);
    active_[job_id] = SteadyClock::now() + 2s;
    return std::nullopt;
  }
  return Snapshot{std::move(*known), std::move(*observation), std::move(lock)};
}

std::optional<Orchestrator::ActiveRecord> Orchestrator::load(const std::string& job_id) {
  // The record as this daemon last read or wrote it, or from the store: a write by someone else since
  // then makes our write fail its check-and-set, and the next pass reads it.
  if (auto known = cached_record(job_id)) {
    return known;
  }
  auto stored = store_.get(record_key(job_id));
  if (!stored || !*stored) {
    std::lock_guard guard(mutex_);
    forget(job_id);
    return std::nullopt;
  }
  auto parsed = parse_job_record((*stored)->value);
  if (!parsed) {
    spdlog::error("orchestrator: {}", parsed.error().message);
    std::lock_guard guard(mutex_);
    forget(job_id);
    return std::nullopt;
  }
  ActiveRecord known{std::move(*parsed), (*stored)->index, SteadyClock::now()};
  if (!known.record.settled) {
    remember(known.record, known.index);
  }
  return known;
}

Result<Observation> Orchestrator::observe(const JobRecord& record, const LockTerms& lock) {
  Observation o;
  o.now = now_utc();
  auto held = take_or_view_lock(record, lock, o.now);
  if (!held) {
    return held.error();
  }
  o.lock = held->state;
  o.lock_holder = held->holder;
  if (record.active_phase) {
    const jobs::PhaseId id{record.id, *record.active_phase, record.attempt};
    auto seen = executor_.observe(id);
    if (!seen) {
      return seen.error();
    }
    o.active = std::move(*seen);
    if (o.active->state == jobs::PhaseState::succeeded && id.phase == Phase::build) {
      if (auto text = executor_.read_result(id)) {
        if (auto result = parse_build_result(*text)) {
          o.result = std::move(*result);
        }
      }
    }
  }
  if (record.cleanup_for && !record.temp_cleaned) {
    auto seen = executor_.observe({record.id, Phase::cleanup, 1});
    if (!seen) {
      return seen.error();
    }
    o.cleanup = std::move(*seen);
  }
  std::lock_guard guard(mutex_);
  if (auto it = start_errors_.find(record.id); it != start_errors_.end()) {
    o.start_error = std::move(it->second);
    start_errors_.erase(it);
  }
  return o;
}

// A new job's lock is nearly always free, and taking it is what the decision would ask for next: a
// job still queued tries to take it at once (one store write instead of a read and then a write). A
// job that has seen the lock held, or is asked to stop, only looks.
Result<LockView> Orchestrator::take_or_view_lock(const JobRecord& record, const LockTerms& lock,
                                                 SystemTime now) {
  if (record.status == JobStatus::pending && !record.kill_requested &&
      record.waiting_reason == k_queued_reason) {
    auto taken = lock_.acquire(lock.key, record.id, now, lock.ttl);
    if (taken || taken.error().kind != ErrorKind::conflict) {
      return taken;
    }
  }
  return lock_.view(lock.key, record.id, now);
}

}  // namespace nbs::mcpd
