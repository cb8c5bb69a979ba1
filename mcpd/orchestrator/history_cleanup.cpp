// getHistory, and the cleanup of finished jobs' phases, orphans and history beyond its limit; the
// thread that keeps the history index (job_history.hpp) in line with the store.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "mcpd/orchestrator/build_arg_secrets.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"

namespace nbs::mcpd {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

Result<Orchestrator::HistoryPage> Orchestrator::history(const std::string& owner, std::size_t limit,
                                                        std::size_t offset, const std::string& token_id) {
  if (!history_.wait_loaded(config_.history_load_wait)) {
    return make_error(ErrorKind::unavailable,
                      "history: still reading the job records after the daemon's start (" +
                          std::to_string(history_.size()) + " finished so far); try again in a few seconds");
  }
  return history_.page(owner, token_id, limit, offset);
}

void Orchestrator::history_loop() {
  auto stopping = [this] {
    std::lock_guard guard(mutex_);
    return stopping_;
  };
  // The jobs this daemon drives are handed in as it writes them (remember()).
  auto ours = [this](const std::string& job_id) {
    std::lock_guard guard(mutex_);
    return cache_.contains(job_id);
  };
  bool loaded = false;
  while (!stopping()) {
    const auto began = SteadyClock::now();
    auto synced = sync_history(store_, history_, ours, stopping);
    if (!synced) {
      spdlog::warn("orchestrator: history: cannot list job records: {}", synced.error().message);
    } else if (!stopping()) {
      // Jobs other replicas accepted are driven here too (check-and-set keeps the two in step), so a
      // job goes on when its replica dies, whether or not anyone asks this one about it.
      for (const auto& id : synced->unsettled) {
        mark_dirty(id);
      }
      for (const auto& why : synced->unreadable) {
        // Said once at start; a record that stays unreadable is read again at every resync.
        spdlog::log(loaded ? spdlog::level::debug : spdlog::level::warn, "orchestrator: history: {}", why);
      }
      if (!loaded) {
        loaded = true;
        history_.set_loaded();
        spdlog::info(
            "orchestrator: history: {} finished jobs from {} records in {} ms", history_.size(), synced->read,
            std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - began).count());
      }
    }
    std::unique_lock guard(mutex_);
    wake_.wait_for(guard, loaded ? config_.history_resync : std::chrono::milliseconds(1s),
                   [this] { return stopping_; });
  }
}

Result<Orchestrator::CleanupReport> Orchestrator::cleanup(const std::string& job_id,
                                                          const std::string& token_id) {
  auto record = get(job_id, token_id);
  if (!record) {
    return record.error();
  }
  if (!record->settled) {
    return make_error(ErrorKind::conflict, "job_id: " + job_id + " is still " +
                                               std::string(to_string(record->status)) +
                                               "; kill it (killJob) and wait until it is KILLED first");
  }
  CleanupReport report;
  report.jobs.push_back(job_id);
  auto phases = executor_.list(job_id);
  if (!phases) {
    return phases.error();
  }
  for (const auto& phase : *phases) {
    if (auto purged = executor_.purge(phase); purged) {
      report.removed.push_back(phase.name());
    } else {
      report.failed.push_back(purged.error().message);
    }
  }
  return report;
}

Result<Orchestrator::CleanupReport> Orchestrator::cleanup_all() {
  CleanupReport report;
  auto phases = executor_.list("");
  if (!phases) {
    return phases.error();
  }
  for (const auto& phase : *phases) {
    auto stored = store_.get(record_key(phase.job_id));
    if (!stored) {
      return stored.error();
    }
    std::optional<JobRecord> record;
    if (*stored) {
      if (auto parsed = parse_job_record((*stored)->value)) {
        record = std::move(*parsed);
      }
    }
    // An orphan: a phase with no record, or whose record is settled.
    if (!record || record->settled) {
      (void)executor_.stop(phase, config_.stop_grace);
      if (auto purged = executor_.purge(phase); purged) {
        report.removed.push_back(phase.name());
        if (std::find(report.jobs.begin(), report.jobs.end(), phase.job_id) == report.jobs.end()) {
          report.jobs.push_back(phase.job_id);
        }
      } else {
        report.failed.push_back(purged.error().message);
      }
    }
  }
  // Containers and images no running phase accounts for (a daemon killed between a stop and its effect).
  auto swept = executor_.sweep();
  if (!swept) {
    return swept.error();
  }
  report.removed.insert(report.removed.end(), swept->begin(), swept->end());
  // History beyond its limit: the oldest finished records go, whoever they belong to.
  if (!history_.wait_loaded(config_.history_load_wait)) {
    report.failed.push_back("history: not trimmed: still reading the job records after the daemon's start");
    return report;
  }
  for (const auto& id : history_.beyond(config_.history_limit)) {
    auto stored = store_.get(record_key(id));
    if (!stored) {
      report.failed.push_back(stored.error().message);
      continue;
    }
    if (!*stored) {
      history_.remove(id);  // trimmed by another replica
      continue;
    }
    auto record = parse_job_record((*stored)->value);
    if (record && record->settled && store_.remove(record_key(id), (*stored)->index)) {
      drop_build_arg_secrets(store_, id);  // normally gone when the job ended
      history_.remove(id);
      std::lock_guard guard(mutex_);
      settled_.erase(id);
      report.jobs.push_back(id);
    }
  }
  return report;
}

}  // namespace nbs::mcpd
