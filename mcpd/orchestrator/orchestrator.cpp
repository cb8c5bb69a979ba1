// The orchestrator's API (submit, get, kill, waiting for a change, build progress) and its cache of
// records; the rest of the class is defined by job in the files orchestrator.hpp names.
#include "mcpd/orchestrator/orchestrator.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "common/job_id.hpp"
#include "common/job_request_parser.hpp"
#include "common/secret_build_args.hpp"
#include "mcpd/orchestrator/build_arg_secrets.hpp"

namespace nbs::mcpd {

namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

Orchestrator::Orchestrator(jobs::Executor& executor, jobs::RecordStore& store, OrchestratorConfig config,
                           EventSink on_event)
    : executor_(executor),
      store_(store),
      config_(std::move(config)),
      on_event_(std::move(on_event)),
      lock_(store),
      actions_(executor, store, lock_, config_),
      progress_(config_.progress_refresh, config_.progress_refresh_max) {}

Orchestrator::~Orchestrator() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
  }
  notifier_.stop();
  wake_.notify_all();
  // interrupt_waits() ends only a wait already in progress; the executor watcher may be just about to
  // begin one, so repeat it until the watcher has seen stopping_.
  while (executor_watcher_.joinable() && !executor_watcher_done_) {
    executor_.interrupt_waits();
    std::this_thread::sleep_for(20ms);
  }
  for (auto* t : {&watcher_, &executor_watcher_, &history_sync_}) {
    if (t->joinable()) {
      t->join();
    }
  }
}

void Orchestrator::start() {
  // Every record that is not settled is a job to drive: after a restart this picks up where the last
  // daemon stopped.
  if (auto keys = store_.list("jobs/")) {
    std::lock_guard guard(mutex_);
    for (const auto& key : *keys) {
      const std::string id = key.substr(5);
      active_[id] = SteadyClock::now();
      dirty_.insert(id);
    }
  } else {
    spdlog::error("orchestrator: cannot list job records: {}", keys.error().message);
  }
  watcher_ = std::thread([this] { watch_loop(); });
  executor_watcher_ = std::thread([this] { executor_watch_loop(); });
  history_sync_ = std::thread([this] { history_loop(); });
}

Result<JobRecord> Orchestrator::submit(const json::value& job_config, const std::string& token_id) {
  auto request = parse_job_request(job_config);
  if (!request) {
    return request.error();
  }
  // What this daemon will not run, however well-formed: refused now, not failed (or dropped) later.
  std::vector<FieldError> refused = executor_.unsupported(*request);
  if (config_.admit) {
    auto more = config_.admit(*request, token_id);
    refused.insert(refused.end(), more.begin(), more.end());
  }
  if (!refused.empty()) {
    return make_field_errors(std::move(refused));
  }
  JobRecord record;
  record.id = new_job_id();
  record.request = std::move(*request);
  record.token_id = token_id;
  record.times.job_start = now_utc();
  record.waiting_reason = k_queued_reason;
  // Secret build args are stored apart; the record (status, history, webhooks) shows *** instead.
  if (auto kept = store_build_arg_secrets(store_, record.id, take_secret_build_args(record.request)); !kept) {
    return kept.error();
  }
  auto put = store_.put(record_key(record.id), json::serialize(to_json(record)), 0);
  if (!put) {
    drop_build_arg_secrets(store_, record.id);
    return put.error();
  }
  remember(record, *put);
  mark_dirty(record.id);
  return record;
}

namespace {

// A record bound to another token is answered as unknown (not telling it exists).
Result<JobRecord> visible(const JobRecord& record, const std::string& token_id) {
  if (!record.token_id.empty() && record.token_id != token_id) {
    return make_error(ErrorKind::not_found, "job_id: no job " + record.id);
  }
  return record;
}

Result<JobRecord> parse_visible(const std::string& value, const std::string& token_id) {
  auto record = parse_job_record(value);
  return record ? visible(*record, token_id) : record;
}

}  // namespace

Result<JobRecord> Orchestrator::get(const std::string& job_id, const std::string& token_id) {
  if (!is_job_id(job_id)) {
    return make_field_errors({{"job_id", "must be a job id as submitJob returned it (a UUID)"}});
  }
  {
    // Active jobs are answered from memory: the watch loop rereads and rewrites their records at every
    // transition, so a status poll costs no store read (a Nomad Variables request on a cluster).
    std::lock_guard guard(mutex_);
    if (auto it = cache_.find(job_id); it != cache_.end()) {
      return visible(it->second.record, token_id);
    }
    if (auto it = settled_.find(job_id); it != settled_.end() && it->second.expires > SteadyClock::now()) {
      return visible(it->second.record, token_id);
    }
  }
  auto stored = store_.get(record_key(job_id));
  if (!stored) {
    return stored.error();
  }
  if (!*stored) {
    return make_error(ErrorKind::not_found, "job_id: no job " + job_id);
  }
  auto record = parse_job_record((*stored)->value);
  if (!record) {
    return record;
  }
  remember(*record, (*stored)->index);
  if (!record->settled) {
    mark_dirty(job_id);  // a job another replica accepted: watch it here too, which keeps it fresh
  }
  return visible(*record, token_id);
}

void Orchestrator::remember(const JobRecord& record, std::uint64_t index) {
  history_.put(record, index);  // every record this daemon writes or reads passes here
  std::lock_guard guard(mutex_);
  if (!record.settled) {
    auto& entry = cache_[record.id];
    if (index == 0 || index >= entry.index) {  // two threads' writes may be remembered out of order
      entry = ActiveRecord{record, index, SteadyClock::now()};
    }
    return;
  }
  cache_.erase(record.id);
  if (settled_.size() >= config_.settled_cache_size && !settled_.contains(record.id)) {
    auto oldest = std::min_element(settled_.begin(), settled_.end(), [](const auto& a, const auto& b) {
      return a.second.expires < b.second.expires;
    });
    if (oldest != settled_.end()) {
      settled_.erase(oldest);
    }
  }
  if (config_.settled_cache_size > 0) {
    settled_[record.id] = SettledEntry{record, SteadyClock::now() + config_.settled_cache_ttl};
  }
}

std::optional<Orchestrator::ActiveRecord> Orchestrator::cached_record(const std::string& job_id) {
  std::lock_guard guard(mutex_);
  auto it = cache_.find(job_id);
  if (it == cache_.end() || it->second.index == 0) {
    return std::nullopt;
  }
  return it->second;
}

void Orchestrator::read_again(const std::string& job_id, std::uint64_t index) {
  if (auto it = cache_.find(job_id); it != cache_.end() && it->second.index == index) {
    it->second.index = 0;
  }
}

void Orchestrator::forget(const std::string& job_id) {
  active_.erase(job_id);
  cache_.erase(job_id);
  progress_.forget(job_id);
}

std::uint64_t Orchestrator::changes() {
  return notifier_.changes();
}

std::uint64_t Orchestrator::notify_on_change(const std::string& job_id, std::uint64_t since,
                                             std::function<void()> wake) {
  return notifier_.notify_on_change(job_id, since, std::move(wake));
}

void Orchestrator::cancel_notification(std::uint64_t handle) {
  notifier_.cancel(handle);
}

std::optional<BuildStep> Orchestrator::build_progress(const JobRecord& record) {
  if (record.status != JobStatus::building) {
    return std::nullopt;
  }
  if (auto kept = progress_.fresh(record.id)) {
    return *kept;
  }
  std::optional<BuildStep> step = latest_build_step(executor_, record);
  std::lock_guard guard(mutex_);     // forget() drops the step under it too
  if (cache_.contains(record.id)) {  // only while the job is active, so the map stays bounded
    progress_.keep(record.id, step);
  }
  return step;
}

Result<JobRecord> Orchestrator::wait_for_change(const std::string& job_id, const JobRecord& seen,
                                                std::chrono::milliseconds timeout,
                                                const std::function<bool()>& cancelled) {
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    const std::uint64_t since = notifier_.changes();  // before the read: no write in between is missed
    auto current = get(job_id, seen.token_id);
    if (!current || !(*current == seen) || SteadyClock::now() >= deadline || (cancelled && cancelled())) {
      return current;
    }
    // Woken by every record write of this daemon; the short cap covers writes by another replica.
    if (!notifier_.wait(since, std::min(deadline, SteadyClock::now() + 1s))) {
      return current;
    }
  }
}

Result<JobRecord> Orchestrator::kill(const std::string& job_id, const std::string& token_id) {
  for (int tries = 0; tries < 5; ++tries) {
    if (!is_job_id(job_id)) {
      return make_field_errors({{"job_id", "must be a job id as submitJob returned it (a UUID)"}});
    }
    // From the store, not the cache: the write below must build on exactly the version it replaces.
    auto stored = store_.get(record_key(job_id));
    if (!stored) {
      return stored.error();
    }
    if (!*stored) {
      return make_error(ErrorKind::not_found, "job_id: no job " + job_id);
    }
    auto record = parse_visible((*stored)->value, token_id);
    if (!record) {
      return record.error();
    }
    if (is_terminal(record->status) || record->kill_requested) {
      return record;
    }
    record->kill_requested = true;
    auto put = store_.put(record_key(job_id), json::serialize(to_json(*record)), (*stored)->index);
    if (put) {
      remember(*record, *put);
      notifier_.changed(job_id);
      mark_dirty(job_id);
      return record;
    }
    if (put.error().kind != ErrorKind::conflict) {
      return put.error();
    }
  }
  return make_error(ErrorKind::conflict,
                    "job_id: " + job_id + " changed too often to record the kill; try again");
}

Status Orchestrator::ready() {
  return executor_.ready();
}

}  // namespace nbs::mcpd
