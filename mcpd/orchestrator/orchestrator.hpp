// The orchestrator: accepts jobs, and drives every job through build → tests → publish with one watch
// thread that reconciles a job whenever the executor reports a change, a request records intent, or a
// deadline comes due. It keeps no job state of its own beyond a cache of which jobs are still active:
// the record store and the executor are the truth. Its members are defined by job: the API and the
// record cache here (orchestrator.cpp), the watch threads (watch_loop.cpp), a reconcile's READ
// (reconcile.cpp), DECIDE (reconciler.cpp) and APPLY (reconcile_apply.cpp, phase_actions.cpp), and
// history and cleanup (history_cleanup.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include "jobs/executor.hpp"
#include "jobs/record_store.hpp"
#include "mcpd/orchestrator/build_lock.hpp"
#include "mcpd/orchestrator/build_progress.hpp"
#include "mcpd/orchestrator/change_notifier.hpp"
#include "mcpd/orchestrator/job_history.hpp"
#include "mcpd/orchestrator/job_record.hpp"
#include "mcpd/orchestrator/log_query.hpp"
#include "mcpd/orchestrator/orchestrator_config.hpp"
#include "mcpd/orchestrator/phase_actions.hpp"
#include "mcpd/orchestrator/reconciler.hpp"

namespace nbs::mcpd {

class LogSearchPool;

// A status change, as webhooks and metrics see it.
struct JobEvent {
  std::string name;  // "build.started", "test.started", "publish.started", "job.completed", "job.failed", …
  JobRecord record;
};

class Orchestrator {
 public:
  using EventSink = std::function<void(const JobEvent&)>;

  Orchestrator(jobs::Executor& executor, jobs::RecordStore& store, OrchestratorConfig config,
               EventSink on_event = {});
  ~Orchestrator();  // stops the watch thread; running phases keep running

  void start();

  // Validates the request (the one validator), records the job as PENDING and wakes the watcher.
  // Errors: invalid_argument with every bad field.
  Result<JobRecord> submit(const boost::json::value& job_config, const std::string& token_id = {});

  // The job's record; not_found for an unknown id (or one bound to another token).
  Result<JobRecord> get(const std::string& job_id, const std::string& token_id = {});

  // Returns as soon as the job's record differs from `seen` (status, phase, …) or `timeout` passes.
  // Blocks the calling thread: for callers with a thread of their own; the server's long-polls use
  // notify_on_change below.
  Result<JobRecord> wait_for_change(const std::string& job_id, const JobRecord& seen,
                                    std::chrono::milliseconds timeout,
                                    const std::function<bool()>& cancelled = {});

  // For long-polls that must not block a thread: changes() counts this daemon's record writes;
  // notify_on_change calls `wake` once, from any thread, when the job's record next changes, or at once
  // if changes() has moved past `since` (read before the record the caller holds). The handle cancels.
  std::uint64_t changes();
  std::uint64_t notify_on_change(const std::string& job_id, std::uint64_t since, std::function<void()> wake);
  void cancel_notification(std::uint64_t handle);

  // The latest Buildah step of the record's build while it runs: at most progress_refresh old after a
  // step changed, up to progress_refresh_max while one step runs long.
  std::optional<BuildStep> build_progress(const JobRecord& record);

  // Records the intent to kill; the watcher stops the running phase (gracefully) and marks it KILLED.
  Result<JobRecord> kill(const std::string& job_id, const std::string& token_id = {});

  // Finished jobs, newest first, from memory (job_history.hpp). Errors: unavailable while the index is
  // still being read from the store after a start.
  using HistoryPage = JobHistory::Page;
  Result<HistoryPage> history(const std::string& owner, std::size_t limit, std::size_t offset,
                              const std::string& token_id = {});

  // Removes a finished job's phases from the executor (kills it first if it still runs).
  struct CleanupReport {
    std::vector<std::string> removed;  // phase names, "container <name>": only what is really gone
    std::vector<std::string> jobs;     // job ids touched
    std::vector<std::string> failed;   // what could not be removed, and why
  };
  Result<CleanupReport> cleanup(const std::string& job_id, const std::string& token_id = {});
  // Phases of ours without a record (orphans), and records beyond the history limit.
  Result<CleanupReport> cleanup_all();

  jobs::Executor& executor() { return executor_; }
  // A page of a phase's log (getLogs): tail and range are read at once; a grep runs on `searches`, beside
  // the caller's thread, until its time limit or `stop` (log_search_pool.hpp).
  boost::asio::awaitable<Result<LogPage>> logs(jobs::PhaseId phase, LogQuery query, LogSearchPool& searches,
                                               std::stop_token stop);
  Status ready();

 private:
  struct ActiveRecord {
    JobRecord record;
    std::uint64_t index = 0;                     // its version in the store, when known
    std::chrono::steady_clock::time_point seen;  // when it was last read from or written to the store
  };
  // What a reconcile's READ step found: the record, what the lock and the executor report, the lock's terms.
  struct Snapshot {
    ActiveRecord known;
    Observation observation;
    LockTerms lock;
  };
  // What the APPLY step did, for when to look at the job again.
  struct Applied {
    bool again = false;    // a lock was taken or given back (or failed to be): decide again at once
    bool started = false;  // a phase was started
    bool ended = false;    // the job reached a final status
  };

  // watch_loop.cpp
  void watch_loop();
  void executor_watch_loop();
  void mark_dirty(const std::string& job_id);
  // Under mutex_: when to reconcile the job next, and the waiting jobs an ended one may free.
  void schedule(const std::string& job_id, const JobRecord& current, const Observation& observation,
                const std::vector<SystemTime>& deadlines, Applied applied);
  // When to look at the job again without an executor report: at the safety-net cadence while a phase
  // is under way, soon when it waits for a lock (or a phase could not start), and at the phase's deadlines.
  std::chrono::steady_clock::time_point next_check(bool phase_underway,
                                                   const std::vector<SystemTime>& deadlines) const;

  // reconcile.cpp: READ → DECIDE (reconciler.hpp) → APPLY
  void reconcile(const std::string& job_id);
  std::optional<Snapshot> read(const std::string& job_id);
  std::optional<ActiveRecord> load(const std::string& job_id);  // from the cache, else the store
  Result<Observation> observe(const JobRecord& record, const LockTerms& lock);
  Result<LockView> take_or_view_lock(const JobRecord& record, const LockTerms& lock, SystemTime now);

  // reconcile_apply.cpp
  void apply(const std::string& job_id, Snapshot& snapshot, Decision decision);
  // Writes the decided record by check-and-set against the index it was read at; false when that
  // failed (the next pass reads the record again).
  bool write(const std::string& job_id, ActiveRecord& state, JobRecord next, std::optional<Phase> explain);
  bool take_actions(const std::string& job_id, const Snapshot& snapshot, const std::vector<Action>& actions);
  void publish_events(const JobRecord& before, const JobRecord& after);

  // history_cleanup.cpp
  void history_loop();  // builds history_ from the store, then keeps it in line with other replicas

  // orchestrator.cpp: the record cache
  // Caches an active job's record with its store index (0: unknown), or a settled one for a while.
  void remember(const JobRecord& record, std::uint64_t index);
  // An active job's record as this daemon last read or wrote it, if its store index is known.
  std::optional<ActiveRecord> cached_record(const std::string& job_id);
  void forget(const std::string& job_id);  // under mutex_: no longer active, nothing cached
  // Under mutex_: the next pass reads the job's record from the store, unless it was written since
  // `index`.
  void read_again(const std::string& job_id, std::uint64_t index);

  jobs::Executor& executor_;
  jobs::RecordStore& store_;
  OrchestratorConfig config_;
  EventSink on_event_;
  BuildLock lock_;
  PhaseActions actions_;
  JobHistory history_;
  ChangeNotifier notifier_;
  BuildProgress progress_;

  std::mutex mutex_;
  std::condition_variable wake_;  // the watch loop sleeps on it
  std::set<std::string> dirty_;
  std::map<std::string, std::chrono::steady_clock::time_point> active_;  // job → when to look again
  std::map<std::string, ActiveRecord> cache_;  // the latest record of every active job
  struct SettledEntry {
    JobRecord record;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, SettledEntry> settled_;      // recently read finished records
  std::map<std::string, std::string> start_errors_;  // job → why the executor refused its phase
  bool stopping_ = false;
  std::atomic<bool> executor_watcher_done_ = false;
  std::thread watcher_;
  std::thread executor_watcher_;
  std::thread history_sync_;
};

}  // namespace nbs::mcpd
