// The APPLY step of Orchestrator::reconcile: write the decided record (check-and-set), send its events,
// take the decided actions (phase_actions.cpp) and say when to look at the job again.
#include <algorithm>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "mcpd/orchestrator/build_arg_secrets.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"

namespace nbs::mcpd {

namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

void Orchestrator::apply(const std::string& job_id, Snapshot& snapshot, Decision decision) {
  ActiveRecord& state = snapshot.known;
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
  Applied applied;
  if (decision.once_released) {
    // The lock goes back first, then the record is written once, settled (reconciler.hpp); a daemon
    // stopping in between leaves a record the next one ends the same way.
    if (auto released = actions_.act(state.record, decision.actions.front(), snapshot.lock); released) {
      Decision after = std::move(*decision.once_released);
      decision = std::move(after);
    } else {
      spdlog::warn("orchestrator: job {}: {}", job_id, released.error().message);
      decision.actions.clear();
      applied.again = true;
    }
  }
  if (decision.record) {
    if (!write(job_id, state, std::move(*decision.record), decision.explain_failure)) {
      return;
    }
    applied.ended = is_terminal(state.record.status);
    if (applied.ended) {
      if (auto dropped = drop_build_arg_secrets(store_, job_id); !dropped) {
        spdlog::warn("orchestrator: job {}: {}", job_id, dropped.error().message);
      }
    }
  }
  applied.started = take_actions(job_id, snapshot, decision.actions);
  // A lock taken or given back changes what the next decision sees: decide again at once.
  applied.again =
      applied.again || std::any_of(decision.actions.begin(), decision.actions.end(), [](const Action& a) {
        return a.kind == ActionKind::acquire_lock || a.kind == ActionKind::release_lock;
      });
  std::lock_guard guard(mutex_);
  schedule(job_id, state.record, snapshot.observation, decision.deadlines, applied);
}

bool Orchestrator::write(const std::string& job_id, ActiveRecord& state, JobRecord next,
                         std::optional<Phase> explain) {
  if (explain) {
    actions_.explain_failure(next, *explain);
  }
  auto put = store_.put(record_key(job_id), json::serialize(to_json(next)), state.index);
  if (!put) {
    // Another writer (a kill, a second daemon) got there first: decide again from what it wrote.
    if (put.error().kind != ErrorKind::conflict) {
      spdlog::warn("orchestrator: job {}: cannot write its record: {}", job_id, put.error().message);
    }
    std::lock_guard guard(mutex_);
    read_again(job_id, state.index);
    active_[job_id] = SteadyClock::now() + (put.error().kind == ErrorKind::conflict ? 0s : 2s);
    return false;
  }
  // Events first, so that whoever sees the new record (get(), a woken long-poll) sees them sent.
  publish_events(state.record, next);
  remember(next, *put);
  notifier_.changed(job_id);
  state.record = std::move(next);
  state.index = *put;
  return true;
}

// True when a phase was started.
bool Orchestrator::take_actions(const std::string& job_id, const Snapshot& snapshot,
                                const std::vector<Action>& actions) {
  bool started = false;
  for (const auto& action : actions) {
    auto done = actions_.act(snapshot.known.record, action, snapshot.lock);
    if (!done) {
      spdlog::warn("orchestrator: job {}: {}", job_id, done.error().message);
      if (action.kind == ActionKind::start_phase && done.error().kind == ErrorKind::invalid_argument) {
        std::lock_guard guard(mutex_);
        start_errors_[job_id] = done.error().message;
      }
    }
    started = started || (action.kind == ActionKind::start_phase && done);
  }
  return started;
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

}  // namespace nbs::mcpd
