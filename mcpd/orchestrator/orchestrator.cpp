#include "mcpd/orchestrator/orchestrator.hpp"

#include <algorithm>
#include <charconv>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "common/job_id.hpp"
#include "common/job_request_parser.hpp"
#include "common/phase_log_reader.hpp"
#include "common/secret_build_args.hpp"
#include "mcpd/orchestrator/build_arg_secrets.hpp"

namespace nbs::mcpd {

namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {
// A new job's waiting reason until its first decision: it has not yet seen its lock held by another.
constexpr std::string_view k_queued = "queued";
}  // namespace

Orchestrator::Orchestrator(jobs::Executor& executor, jobs::RecordStore& store, OrchestratorConfig config,
                           EventSink on_event)
    : executor_(executor),
      store_(store),
      config_(std::move(config)),
      on_event_(std::move(on_event)),
      lock_(store) {}

Orchestrator::~Orchestrator() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
    listeners_.clear();  // their long-polls end on their own timers
  }
  wake_.notify_all();
  records_changed_.notify_all();
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
  record.waiting_reason = k_queued;
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
  progress_.erase(job_id);
}

void Orchestrator::record_changed(const std::string& job_id) {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard guard(mutex_);
    ++changes_;
    for (auto it = listeners_.begin(); it != listeners_.end();) {
      if (it->second.job_id == job_id) {
        wake.push_back(std::move(it->second.wake));
        it = listeners_.erase(it);
      } else {
        ++it;
      }
    }
  }
  records_changed_.notify_all();
  for (auto& w : wake) {
    w();
  }
}

std::uint64_t Orchestrator::changes() {
  std::lock_guard guard(mutex_);
  return changes_;
}

std::uint64_t Orchestrator::notify_on_change(const std::string& job_id, std::uint64_t since,
                                             std::function<void()> wake) {
  std::unique_lock guard(mutex_);
  const std::uint64_t handle = ++next_listener_;
  if (changes_ == since && !stopping_) {
    listeners_.emplace(handle, ChangeListener{job_id, std::move(wake)});
    return handle;
  }
  guard.unlock();
  wake();
  return handle;
}

void Orchestrator::cancel_notification(std::uint64_t handle) {
  std::lock_guard guard(mutex_);
  listeners_.erase(handle);
}

std::optional<BuildStep> Orchestrator::build_progress(const JobRecord& record) {
  if (record.status != JobStatus::building) {
    return std::nullopt;
  }
  {
    std::lock_guard guard(mutex_);
    if (auto it = progress_.find(record.id);
        it != progress_.end() && SteadyClock::now() - it->second.read_at < it->second.interval) {
      return it->second.step;
    }
  }
  std::optional<BuildStep> step = latest_build_step(record);
  std::lock_guard guard(mutex_);
  if (cache_.contains(record.id)) {  // only while the job is active, so the map stays bounded
    // A long step is looked at less and less often: on Nomad each look is a log read.
    auto it = progress_.find(record.id);
    const auto interval = it != progress_.end() && it->second.step == step
                              ? std::min(it->second.interval * 2, config_.progress_refresh_max)
                              : config_.progress_refresh;
    progress_[record.id] = ProgressEntry{SteadyClock::now(), interval, step};
  }
  return step;
}

std::optional<BuildStep> Orchestrator::latest_build_step(const JobRecord& record) {
  // The last step event in the tail of the build log.
  auto chunk = executor_.read_log({record.id, Phase::build, record.attempt}, "runner", jobs::LogOrigin::end,
                                  0, 16 * 1024);
  if (!chunk) {
    return std::nullopt;
  }
  std::string_view bytes = chunk->bytes;
  std::size_t end = bytes.size();
  while (end > 0) {
    const std::size_t start = bytes.rfind('\n', end - 1);
    const std::size_t from = start == std::string_view::npos ? 0 : start + 1;
    auto event = parse_phase_event(bytes.substr(from, end - from));
    if (event && event->kind == EventKind::step) {
      return BuildStep{event->step, event->steps, event->text};
    }
    if (start == std::string_view::npos) {
      break;
    }
    end = start;
  }
  return std::nullopt;
}

Result<JobRecord> Orchestrator::wait_for_change(const std::string& job_id, const JobRecord& seen,
                                                std::chrono::milliseconds timeout,
                                                const std::function<bool()>& cancelled) {
  const auto deadline = SteadyClock::now() + timeout;
  while (true) {
    auto current = get(job_id, seen.token_id);
    if (!current || !(*current == seen) || SteadyClock::now() >= deadline || (cancelled && cancelled())) {
      return current;
    }
    std::unique_lock guard(mutex_);
    if (stopping_) {
      return current;
    }
    // Woken by every record write of this daemon; the short cap covers writes by another replica.
    records_changed_.wait_until(guard, std::min(deadline, SteadyClock::now() + 1s));
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
      record_changed(job_id);
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

void Orchestrator::mark_dirty(const std::string& job_id) {
  {
    std::lock_guard guard(mutex_);
    dirty_.insert(job_id);
    active_[job_id] = SteadyClock::now();
  }
  wake_.notify_all();
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

std::chrono::steady_clock::time_point Orchestrator::next_check(const JobRecord& record, bool phase_underway,
                                                               bool phase_running) const {
  const auto now = SteadyClock::now();
  // A phase under way reports its end through the executor; a waiting job may be freed by a change
  // the executor does not report (another daemon's lock), and a phase that could not start is retried.
  auto next = now + std::chrono::duration_cast<SteadyClock::duration>(phase_underway ? config_.running_check
                                                                                     : config_.idle_check);
  if (record.active_phase && !is_terminal(record.status)) {
    // Come back exactly when the phase's deadline (or, until it is seen running, its placement
    // deadline) passes.
    const Phase phase = *record.active_phase;
    const auto started = const_cast<PhaseTimes&>(record.times).start_of(phase);
    if (started) {
      auto at = [&](std::chrono::seconds limit) {
        const auto due = *started + limit + 1s - now_utc();
        if (due > SystemTime::duration::zero()) {
          next = std::min(next, now + std::chrono::duration_cast<SteadyClock::duration>(due));
        }
      };
      at(phase_timeout(record, phase, config_.reconcile));
      if (!phase_running) {
        at(config_.reconcile.placement_timeout);
      }
    }
  }
  return next;
}

std::chrono::seconds Orchestrator::lock_ttl(const JobRecord& record) const {
  // The lease outlives the longest the job may take.
  return record.request.build_timeout + phase_timeout(record, Phase::test, config_.reconcile) +
         config_.reconcile.publish_timeout + config_.reconcile.placement_timeout + config_.lock_margin;
}

// A new job's lock is nearly always free, and taking it is what the decision would ask for next: a
// job still queued tries to take it at once (one store write instead of a read and then a write). A
// job that has seen the lock held, or is asked to stop, only looks.
Result<LockView> Orchestrator::take_or_view_lock(const JobRecord& record, SystemTime now) {
  const std::string key = lock_key(record.request);
  if (record.status == JobStatus::pending && !record.kill_requested && record.waiting_reason == k_queued) {
    auto taken = lock_.acquire(key, record.id, now, lock_ttl(record));
    if (taken || taken.error().kind != ErrorKind::conflict) {
      return taken;
    }
  }
  return lock_.view(key, record.id, now);
}

Result<Observation> Orchestrator::observe(const JobRecord& record) {
  Observation o;
  o.now = now_utc();
  auto lock = take_or_view_lock(record, o.now);
  if (!lock) {
    return lock.error();
  }
  o.lock = lock->state;
  o.lock_holder = lock->holder;
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

void Orchestrator::reconcile(const std::string& job_id) {
  // The record as this daemon last read or wrote it, or from the store: a write by someone else since
  // then makes our write below fail its check-and-set, and the next pass reads it.
  std::optional<ActiveRecord> known = cached_record(job_id);
  if (!known) {
    auto stored = store_.get(record_key(job_id));
    if (!stored || !*stored) {
      std::lock_guard guard(mutex_);
      forget(job_id);
      return;
    }
    auto parsed = parse_job_record((*stored)->value);
    if (!parsed) {
      spdlog::error("orchestrator: {}", parsed.error().message);
      std::lock_guard guard(mutex_);
      forget(job_id);
      return;
    }
    known = ActiveRecord{std::move(*parsed), (*stored)->index, SteadyClock::now()};
    if (!known->record.settled) {
      remember(known->record, known->index);
    }
  }
  const JobRecord& record = known->record;
  if (record.settled) {
    std::lock_guard guard(mutex_);
    forget(job_id);
    return;
  }
  auto observation = observe(record);
  if (!observation) {
    // The executor or the store is unavailable: look again soon, change nothing.
    spdlog::warn("orchestrator: job {}: {}", job_id, observation.error().message);
    std::lock_guard guard(mutex_);
    active_[job_id] = SteadyClock::now() + 2s;
    return;
  }
  ActiveRecord& state = *known;
  Decision decision = decide(state.record, *observation, config_.reconcile);
  // Starting or stopping a phase without writing the record has no check-and-set to notice that
  // someone else (a second daemon) moved the job on: it is done only from a record read or written
  // within idle_check. Otherwise read the record and decide again.
  const bool touches_phase = std::any_of(
      decision.actions.begin(), decision.actions.end(),
      [](const Action& a) { return a.kind == ActionKind::start_phase || a.kind == ActionKind::stop_phase; });
  if (!decision.record && touches_phase && SteadyClock::now() - state.seen >= config_.idle_check) {
    std::lock_guard guard(mutex_);
    read_again(job_id, state.index);
    active_[job_id] = SteadyClock::now();
    return;
  }
  bool again = false;
  // Giving the lock back is the one action whose outcome the decision can take from here (the lock is
  // not ours any more; the phase was observed a moment ago). When it is all an ended job has left to
  // do, it goes first and the record is written once, settled: a job is never recorded settled while
  // it holds its lock, and a daemon stopping in between leaves a record the next one ends the same way.
  if (decision.actions == std::vector<Action>{{ActionKind::release_lock, Phase::build}}) {
    if (auto released = act(state.record, decision.actions.front()); released) {
      observation->now = now_utc();
      observation->lock = LockState::free;
      observation->lock_holder.clear();
      decision = decide(state.record, *observation, config_.reconcile);
    } else {
      spdlog::warn("orchestrator: job {}: {}", job_id, released.error().message);
      decision.actions.clear();
      again = true;
    }
  }
  bool ended = false;
  if (decision.record) {
    if (decision.explain_failure) {
      explain_failure(*decision.record, *decision.explain_failure);
    }
    auto put = store_.put(record_key(job_id), json::serialize(to_json(*decision.record)), state.index);
    if (!put) {
      // Another writer (a kill, a second daemon) got there first: decide again from what it wrote.
      if (put.error().kind != ErrorKind::conflict) {
        spdlog::warn("orchestrator: job {}: cannot write its record: {}", job_id, put.error().message);
      }
      std::lock_guard guard(mutex_);
      read_again(job_id, state.index);
      active_[job_id] = SteadyClock::now() + (put.error().kind == ErrorKind::conflict ? 0s : 2s);
      return;
    }
    // Events first, so that whoever sees the new record (get(), a woken long-poll) sees them sent.
    publish_events(state.record, *decision.record);
    remember(*decision.record, *put);
    record_changed(job_id);
    ended = is_terminal(decision.record->status);
    if (ended) {
      if (auto dropped = drop_build_arg_secrets(store_, job_id); !dropped) {
        spdlog::warn("orchestrator: job {}: {}", job_id, dropped.error().message);
      }
    }
    state.record = std::move(*decision.record);
    state.index = *put;
  }
  bool started = false;
  for (const auto& action : decision.actions) {
    auto done = act(state.record, action);
    if (!done) {
      spdlog::warn("orchestrator: job {}: {}", job_id, done.error().message);
      if (action.kind == ActionKind::start_phase && done.error().kind == ErrorKind::invalid_argument) {
        std::lock_guard guard(mutex_);
        start_errors_[job_id] = done.error().message;
      }
    }
    started = started || (action.kind == ActionKind::start_phase && done);
    // A lock taken or given back changes what the next decision sees: decide again at once.
    again = again || action.kind == ActionKind::acquire_lock || action.kind == ActionKind::release_lock;
  }
  const JobRecord& current = state.record;
  const auto seen = observation->active ? observation->active->state : jobs::PhaseState::absent;
  const bool phase_running = seen == jobs::PhaseState::running;
  const bool phase_underway =
      started || phase_running || seen == jobs::PhaseState::pending || seen == jobs::PhaseState::unplaceable;
  std::lock_guard guard(mutex_);
  if (current.settled) {
    forget(job_id);
  } else {
    active_[job_id] = again || !start_errors_.empty() ? SteadyClock::now()
                                                      : next_check(current, phase_underway, phase_running);
  }
  if (current.settled || ended) {
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

Status Orchestrator::act(const JobRecord& record, const Action& action) {
  const jobs::PhaseId id{record.id, action.phase, action.attempt};
  switch (action.kind) {
    case ActionKind::acquire_lock: {
      auto taken = lock_.acquire(lock_key(record.request), record.id, now_utc(), lock_ttl(record));
      return taken || taken.error().kind == ErrorKind::conflict ? Status{} : Status(taken.error());
    }
    case ActionKind::release_lock:
      return lock_.release(lock_key(record.request), record.id);
    case ActionKind::stop_phase:
      return executor_.stop(id, config_.stop_grace);
    case ActionKind::start_phase: {
      jobs::PhaseLaunch launch{.id = id, .request = record.request};
      launch.deadline = phase_timeout(record, action.phase, config_.reconcile);
      if (action.phase == Phase::test) {
        launch.test_image = temp_image_reference(record.request, record.id);
      } else {
        auto spec = runner_spec(record, action.phase);
        if (!spec) {
          return spec.error();
        }
        launch.runner_spec_json = std::move(*spec);
      }
      return executor_.start(launch);
    }
  }
  return {};
}

Result<std::string> Orchestrator::runner_spec(const JobRecord& record, Phase phase) {
  RunnerSpec spec;
  spec.job_id = record.id;
  spec.phase = phase;
  spec.request = record.request;
  // The runner sends no webhooks: their secret and headers (an Authorization, say) stay off its disk.
  spec.request.webhook_secret.clear();
  spec.request.webhook_headers.clear();
  // Only the build uses the secret build args; other phases see *** as the record does.
  if (phase == Phase::build) {
    if (auto loaded = load_build_arg_secrets(store_, record.id, spec.request); !loaded) {
      return loaded.error();
    }
  }
  spec.temp_image = temp_image_reference(record.request, record.id);
  spec.final_images = final_image_references(record.request, record.id);
  spec.cache_dir = config_.cache_dir;
  spec.credentials.registry_auth_file = config_.registry_auth_file;
  spec.deadline = now_utc() + phase_timeout(record, phase, config_.reconcile);
  spec.storage_driver = config_.storage_driver;
  spec.build_user = config_.build_user;
  spec.registries_conf = config_.registries_conf;
  return json::serialize(to_json(spec));
}

namespace {

// The command a test task ran ("cmd-2" runs test.commands[2]); empty for the entry-point task.
std::string test_command_of(const JobRequest& request, std::string_view task) {
  std::size_t index = 0;
  if (!request.test || !task.starts_with("cmd-") ||
      std::from_chars(task.data() + 4, task.data() + task.size(), index).ec != std::errc() ||
      index >= request.test->commands.size()) {
    return {};
  }
  return request.test->commands[index];
}

}  // namespace

void Orchestrator::explain_failure(JobRecord& record, Phase phase) {
  Failure failure =
      record.failure.value_or(Failure{.phase = std::string(to_string(phase)), .summary = record.error});
  const jobs::PhaseId id{record.id, phase, record.attempt};
  auto seen = executor_.observe(id);
  if (!seen || seen->tasks.empty()) {
    record.failure = std::move(failure);
    return;
  }
  // The first task that failed (tests run in parallel; one is enough to act on).
  auto task = std::find_if(seen->tasks.begin(), seen->tasks.end(), [](const jobs::TaskObservation& t) {
    return t.state == jobs::PhaseState::failed || t.state == jobs::PhaseState::lost;
  });
  if (task == seen->tasks.end()) {
    task = seen->tasks.begin();
  }
  failure.task = task->name;
  const bool runner = task->name == "runner";
  if (!runner && failure.failure_class == FailureClass::test_failed) {
    const std::string command = test_command_of(record.request, task->name);
    failure.summary = "test task " + task->name + (command.empty() ? "" : " (`" + command + "`)") +
                      " failed" + (task->message.empty() ? "" : ": " + task->message);
  }
  auto chunk = executor_.read_log(id, task->name, jobs::LogOrigin::end, 0, 64 * 1024);
  if (!chunk) {
    record.failure = std::move(failure);
    return;
  }
  PhaseLogReader reader(
      PhaseEvent{.job = record.id, .phase = std::string(to_string(phase)), .stream = LogStream::out});
  std::string_view bytes = chunk->bytes;
  if (chunk->offset > 0) {
    bytes.remove_prefix(std::min(bytes.size(), bytes.find('\n') + 1));  // a partial first line
  }
  auto events = reader.feed(bytes);
  auto last = reader.finish();
  events.insert(events.end(), last.begin(), last.end());
  std::vector<std::string> lines;
  std::vector<std::string> error_lines;  // of the error that ended the phase, after its first line
  for (const auto& e : events) {
    if (e.kind == EventKind::line && e.stream != LogStream::none) {  // none: the runner's narration
      lines.push_back(e.text);
    } else if (e.kind == EventKind::error && runner) {
      // The runner tags the error that ends its phase with the class (common/failure.hpp).
      const std::string first = e.text.substr(0, e.text.find('\n'));
      if (auto parsed = parse_failure_class(e.failure_class)) {
        failure.failure_class = *parsed;
        failure.summary = first;
        failure.location = e.location;
      } else if (failure.summary.empty()) {
        failure.summary = first;
      }
      error_lines.clear();
      for (std::size_t at = e.text.find('\n'); at != std::string::npos;) {
        const auto next = e.text.find('\n', at + 1);
        error_lines.push_back(e.text.substr(at + 1, next == std::string::npos ? next : next - at - 1));
        at = next;
      }
    }
  }
  failure.evidence = pick_evidence(lines, failure.summary);
  if (failure.evidence.empty()) {
    failure.evidence =
        pick_evidence(error_lines, failure.summary);  // the step's lines, when the log lost them
  }
  record.excerpt = failure.evidence;
  record.failure = std::move(failure);
}

void Orchestrator::publish_events(const JobRecord& before, const JobRecord& after) {
  if (!on_event_ || (before.status == after.status && before.active_phase == after.active_phase)) {
    return;
  }
  auto emit = [&](std::string name) { on_event_(JobEvent{std::move(name), after}); };
  if (after.status == JobStatus::building && before.status != JobStatus::building) {
    emit("build.started");
  } else if (after.status == JobStatus::testing && before.status != JobStatus::testing) {
    emit("build.completed");
    emit("test.started");
  } else if (after.status == JobStatus::publishing && before.status != JobStatus::publishing) {
    emit("test.completed");
    emit("publish.started");
  } else if (after.status == JobStatus::succeeded) {
    emit(std::string(to_string(after.active_phase.value_or(Phase::build))) + ".completed");
    emit("job.completed");
  } else if (after.status == JobStatus::failed) {
    emit(std::string(to_string(after.failed_phase.value_or(Phase::build))) + ".failed");
    emit("job.failed");
  } else if (after.status == JobStatus::killed) {
    emit("job.killed");
  }
}

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

Status Orchestrator::ready() {
  return executor_.ready();
}

}  // namespace nbs::mcpd
