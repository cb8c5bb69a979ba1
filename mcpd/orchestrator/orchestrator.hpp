// The orchestrator: accepts jobs, and drives every job through build → tests → publish with one watch
// thread that calls the reconciler (reconciler.hpp) whenever the executor reports a change, a request
// records intent, or a deadline comes due. It keeps no job state of its own beyond a cache of which
// jobs are still active: the record store and the executor are the truth.
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

#include "common/runner_spec.hpp"
#include "jobs/executor.hpp"
#include "jobs/record_store.hpp"
#include "mcpd/orchestrator/build_lock.hpp"
#include "mcpd/orchestrator/job_history.hpp"
#include "mcpd/orchestrator/job_record.hpp"
#include "mcpd/orchestrator/log_query.hpp"
#include "mcpd/orchestrator/reconciler.hpp"

namespace nbs::mcpd {

class LogSearchPool;

struct OrchestratorConfig {
  ReconcileConfig reconcile;
  std::chrono::seconds stop_grace{30};  // SIGTERM → SIGKILL for a stopped phase
  std::chrono::seconds lock_margin{
      std::chrono::minutes(10)};  // a lease lives this long past its phase deadline
  std::chrono::milliseconds idle_check{std::chrono::seconds(15)};  // look at waiting jobs at least this often
  // A running phase is looked at when the executor reports a change, at its deadlines, and at least this
  // often (a safety net), so watching a job costs the same however long it runs.
  std::chrono::milliseconds running_check{std::chrono::minutes(5)};
  // What the runner needs on this executor.
  std::string cache_dir;
  StorageDriver storage_driver = StorageDriver::overlay;
  std::string build_user;
  std::string registries_conf;
  std::string registry_auth_file;  // containers auth.json for the registries jobs push to
  std::size_t history_limit = 1000;
  // getHistory is answered from an index built from the store at start; it takes in what other replicas
  // wrote or trimmed at least this often, and the jobs they accepted, which this daemon then drives too
  // (so a job goes on within this time when its replica dies).
  std::chrono::milliseconds history_resync{std::chrono::minutes(1)};
  // A getHistory call right after a start waits this long for the index before answering unavailable
  // (it blocks its thread meanwhile: short, and only until the index is read).
  std::chrono::milliseconds history_load_wait{std::chrono::seconds(1)};
  // Checked at submit after the request's own grammar and the executor's capabilities: field errors for
  // what this daemon will not run for this caller (mcpd/submit_policy.hpp), e.g. a webhook into the
  // daemon's own network. The second argument is the caller's principal ("" without tokens).
  std::function<std::vector<FieldError>(const JobRequest&, const std::string&)> admit;
  // A running build's latest Buildah step is read from its log at most this often, however many
  // clients poll (on Nomad a log read is a request).
  std::chrono::milliseconds progress_refresh{std::chrono::seconds(1)};
  // While the step stays the same (a long RUN), the interval doubles up to this.
  std::chrono::milliseconds progress_refresh_max{std::chrono::seconds(8)};
  // Finished records no longer change: recently read ones are answered from memory for this long
  // (bounded by how long another replica's history trimming may go unseen here).
  std::size_t settled_cache_size = 256;
  std::chrono::milliseconds settled_cache_ttl{std::chrono::seconds(30)};
};

// Where a running build is: Buildah's STEP n/m and its instruction.
struct BuildStep {
  int step = 0;
  int steps = 0;
  std::string text;
  bool operator==(const BuildStep&) const = default;
};

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

  void watch_loop();
  void executor_watch_loop();
  void history_loop();  // builds history_ from the store, then keeps it in line with other replicas
  void reconcile(const std::string& job_id);
  Result<Observation> observe(const JobRecord& record);
  Status act(const JobRecord& record, const Action& action);
  Result<std::string> runner_spec(const JobRecord& record, Phase phase);
  // Fills record.failure (task, class, summary, location, evidence) from the failing task's log.
  void explain_failure(JobRecord& record, Phase phase);
  std::optional<BuildStep> latest_build_step(const JobRecord& record);
  void publish_events(const JobRecord& before, const JobRecord& after);
  void mark_dirty(const std::string& job_id);
  // Caches an active job's record with its store index (0: unknown), or a settled one for a while.
  void remember(const JobRecord& record, std::uint64_t index);
  // An active job's record as this daemon last read or wrote it, if its store index is known.
  std::optional<ActiveRecord> cached_record(const std::string& job_id);
  void record_changed(const std::string& job_id);  // wakes the long-polls waiting on the job
  void forget(const std::string& job_id);          // under mutex_: no longer active, nothing cached
  // Under mutex_: the next pass reads the job's record from the store, unless it was written since
  // `index`.
  void read_again(const std::string& job_id, std::uint64_t index);
  // When to look at the job again without an executor report: at the safety-net cadence while a phase
  // is under way, soon when it waits for a lock (or a phase could not start), and at the phase's deadlines.
  std::chrono::steady_clock::time_point next_check(const JobRecord& record, bool phase_underway,
                                                   bool phase_running) const;
  Result<LockView> take_or_view_lock(const JobRecord& record, SystemTime now);
  std::chrono::seconds lock_ttl(const JobRecord& record) const;

  jobs::Executor& executor_;
  jobs::RecordStore& store_;
  OrchestratorConfig config_;
  EventSink on_event_;
  BuildLock lock_;
  JobHistory history_;

  std::mutex mutex_;
  std::condition_variable wake_;             // the watch loop sleeps on it
  std::condition_variable records_changed_;  // getStatus long-polls sleep on it
  std::set<std::string> dirty_;
  std::map<std::string, std::chrono::steady_clock::time_point> active_;  // job → when to look again
  std::map<std::string, ActiveRecord> cache_;  // the latest record of every active job
  struct SettledEntry {
    JobRecord record;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, SettledEntry> settled_;  // recently read finished records
  struct ProgressEntry {
    std::chrono::steady_clock::time_point read_at;
    std::chrono::milliseconds interval{0};  // until the next read
    std::optional<BuildStep> step;
  };
  std::map<std::string, ProgressEntry> progress_;  // running builds' latest steps
  struct ChangeListener {
    std::string job_id;
    std::function<void()> wake;
  };
  std::uint64_t changes_ = 0;
  std::uint64_t next_listener_ = 0;
  std::map<std::uint64_t, ChangeListener> listeners_;
  std::map<std::string, std::string> start_errors_;  // job → why the executor refused its phase
  bool stopping_ = false;
  std::atomic<bool> executor_watcher_done_ = false;
  std::thread watcher_;
  std::thread executor_watcher_;
  std::thread history_sync_;
};

}  // namespace nbs::mcpd
