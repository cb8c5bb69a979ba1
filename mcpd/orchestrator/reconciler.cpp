#include "mcpd/orchestrator/reconciler.hpp"

#include <boost/json.hpp>

#include "common/grammar.hpp"

namespace nbs::mcpd {

namespace json = boost::json;
using jobs::PhaseState;

Result<BuildResult> parse_build_result(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return make_error(ErrorKind::internal, "build result: not a JSON object");
  }
  const json::object& o = v.get_object();
  BuildResult r;
  if (const auto* d = o.if_contains("digest"); d && d->is_string()) {
    r.digest = std::string(d->get_string());
  }
  r.platform_digests = parse_platform_digests(o.if_contains("platforms"));
  for (const char* key : {"size", "size_bytes"}) {
    if (const auto* s = o.if_contains(key); s && (s->is_int64() || s->is_uint64())) {
      r.size = s->to_number<std::uint64_t>();
    }
  }
  for (const char* key : {"commit", "commit_sha"}) {
    if (const auto* c = o.if_contains(key); c && c->is_string()) {
      r.commit = std::string(c->get_string());
    }
  }
  if (r.digest.empty()) {
    return make_error(ErrorKind::internal, "build result: no digest");
  }
  return r;
}

std::chrono::seconds phase_timeout(const JobRecord& record, Phase phase, const ReconcileConfig& config) {
  switch (phase) {
    case Phase::build:
      return record.request.build_timeout;
    case Phase::test:
      return record.request.test ? record.request.test->timeout : std::chrono::minutes(15);
    case Phase::publish:
    case Phase::cleanup:
      break;
  }
  return config.publish_timeout;
}

namespace {

class Transition {
 public:
  Transition(const JobRecord& record, const Observation& observation, const ReconcileConfig& config)
      : before_(record), next_(record), o_(observation), config_(config) {}

  Decision run() {
    if (next_.settled) {
      return finish();
    }
    if (is_terminal(next_.status)) {
      tidy_up();
    } else if (next_.status == JobStatus::pending) {
      pending();
    } else {
      active();
    }
    return finish();
  }

 private:
  void pending() {
    if (next_.kill_requested) {
      killed("", "killed by a killJob call before it started");
      tidy_up();
      return;
    }
    switch (o_.lock) {
      case LockState::ours:
        next_.waiting_reason.clear();
        start(Phase::build);
        next_.status = JobStatus::building;
        break;
      case LockState::other:
        next_.waiting_reason = "waiting for job " + o_.lock_holder +
                               " to finish: one build at a time per registry, image and branch";
        break;
      case LockState::free:
        // No record write for this: the next pass either starts the build or says who holds the lock.
        act(ActionKind::acquire_lock, Phase::build);
        break;
    }
  }

  void active() {
    const Phase phase = next_.active_phase.value_or(Phase::build);
    if (next_.kill_requested) {
      act(ActionKind::stop_phase, phase, next_.attempt);
      killed(std::string(to_string(phase)),
             "killed by a killJob call during the " + std::string(to_string(phase)) + " phase");
      tidy_up();
      return;
    }
    const jobs::PhaseObservation none;
    const jobs::PhaseObservation& seen = o_.active ? *o_.active : none;
    if (!o_.start_error.empty() && seen.state == PhaseState::absent) {
      fail(phase, FailureClass::internal,
           "the " + std::string(to_string(phase)) + " phase could not start: " + o_.start_error);
      return;
    }
    const auto started = next_.times.start_of(phase).value_or(o_.now);
    switch (seen.state) {
      case PhaseState::absent:
        // Recorded but not started (or the daemon stopped in between): starting is idempotent.
        act(ActionKind::start_phase, phase, next_.attempt);
        break;
      case PhaseState::pending:
      case PhaseState::unplaceable:
        if (o_.now - started > config_.placement_timeout) {
          act(ActionKind::stop_phase, phase, next_.attempt);
          fail(phase, FailureClass::placement,
               "the " + std::string(to_string(phase)) + " phase could not be placed within " +
                   grammar::format_duration(config_.placement_timeout) +
                   (seen.message.empty() ? "" : ": " + seen.message));
        }
        break;
      case PhaseState::running:
        if (o_.now - started > phase_timeout(next_, phase, config_)) {
          act(ActionKind::stop_phase, phase, next_.attempt);
          fail(phase, FailureClass::deadline,
               "the " + std::string(to_string(phase)) + " phase passed its deadline of " +
                   grammar::format_duration(phase_timeout(next_, phase, config_)));
        }
        break;
      case PhaseState::succeeded:
        succeeded(phase, seen);
        break;
      case PhaseState::failed:
        // Other tasks of the phase (parallel tests) may still run: stop them.
        act(ActionKind::stop_phase, phase, next_.attempt);
        // The class is refined from the failing task's log (the runner tags its error event).
        fail(phase,
             phase != Phase::test ? FailureClass::internal
             : seen.message.find(jobs::k_missing_shell_message) != std::string::npos
                 ? FailureClass::test_no_shell
                 : FailureClass::test_failed,
             "the " + std::string(to_string(phase)) + " phase failed" +
                 (seen.message.empty() ? "" : ": " + seen.message));
        break;
      case PhaseState::lost:
        if (next_.attempt < config_.max_attempts) {
          ++next_.attempt;
          act(ActionKind::start_phase, phase, next_.attempt);
        } else {
          fail(phase, FailureClass::internal,
               "the " + std::string(to_string(phase)) + " phase was lost (its node or process vanished) " +
                   std::to_string(next_.attempt) + " times");
        }
        break;
    }
  }

  void succeeded(Phase phase, const jobs::PhaseObservation& seen) {
    next_.times.end_of(phase) = seen.finished_at.value_or(o_.now);
    if (phase == Phase::build) {
      if (!o_.result) {
        act(ActionKind::stop_phase, phase, next_.attempt);
        fail(phase, FailureClass::internal, "the build phase succeeded but wrote no result (digest)");
        return;
      }
      next_.digest = o_.result->digest;
      next_.platform_digests = o_.result->platform_digests;
      next_.image_size = o_.result->size;
      next_.commit = o_.result->commit;
      if (next_.request.has_tests()) {
        start(Phase::test);
        next_.status = JobStatus::testing;
        return;
      }
      if (next_.request.publishes_from_temp_image()) {
        start(Phase::publish);
        next_.status = JobStatus::publishing;
        return;
      }
    } else if (phase == Phase::test) {
      start(Phase::publish);
      next_.status = JobStatus::publishing;
      return;
    }
    next_.images = final_image_references(next_);
    if (next_.request.sign) {
      next_.signed_images = next_.images;  // the publish phase succeeds only with every tag signed
    }
    end(JobStatus::succeeded, std::nullopt, "");
    tidy_up();
  }

  static std::vector<std::string> final_image_references(const JobRecord& r) {
    std::vector<std::string> out;
    const ImageTarget target = image_target(r.request);
    for (const auto& tag : final_image_tags(r.request, r.id)) {
      out.push_back(target.reference(tag));
    }
    return out;
  }

  // After the end: nothing of the job may keep running, the lock goes back, the temp image goes away.
  void tidy_up() {
    bool busy = false;
    if (next_.active_phase && o_.active &&
        (o_.active->state == PhaseState::running || o_.active->state == PhaseState::pending)) {
      act(ActionKind::stop_phase, *next_.active_phase, next_.attempt);
      busy = true;
    }
    if (o_.lock == LockState::ours) {
      act(ActionKind::release_lock, Phase::build);
    }
    if (next_.cleanup_for && !next_.temp_cleaned && !busy) {
      const jobs::PhaseState cleanup = o_.cleanup ? o_.cleanup->state : PhaseState::absent;
      if (cleanup == PhaseState::absent && !o_.start_error.empty()) {
        next_.temp_cleaned = true;
        next_.cleanup_error = "removing the temporary image failed: " + o_.start_error;
      } else if (cleanup == PhaseState::absent) {
        act(ActionKind::start_phase, Phase::cleanup);
        busy = true;
      } else if (cleanup == PhaseState::succeeded) {
        next_.temp_cleaned = true;
      } else if (cleanup == PhaseState::failed || cleanup == PhaseState::lost ||
                 cleanup == PhaseState::unplaceable) {
        next_.temp_cleaned = true;
        next_.cleanup_error = "removing the temporary image failed: " + o_.cleanup->message;
      } else {
        busy = true;
      }
    } else if (next_.cleanup_for && !next_.temp_cleaned) {
      busy = true;
    }
    next_.settled = !busy && o_.lock != LockState::ours;
  }

  void start(Phase phase) {
    next_.active_phase = phase;
    next_.attempt = 1;
    next_.times.start_of(phase) = o_.now;
    act(ActionKind::start_phase, phase, 1);
  }

  void fail(Phase phase, FailureClass failure_class, std::string error) {
    next_.failure =
        Failure{.failure_class = failure_class, .phase = std::string(to_string(phase)), .summary = error};
    end(JobStatus::failed, phase, std::move(error));
    decision_.explain_failure = phase;
    tidy_up();
  }

  // KILLED carries a failure object too (class killed), so an agent reads one shape for every end.
  void killed(std::string phase, std::string why) {
    next_.failure = Failure{.failure_class = FailureClass::killed, .phase = std::move(phase), .summary = why};
    end(JobStatus::killed, std::nullopt, std::move(why));
  }

  void end(JobStatus status, std::optional<Phase> failed_phase, std::string error) {
    next_.status = status;
    next_.failed_phase = failed_phase;
    next_.error = std::move(error);
    next_.waiting_reason.clear();
    next_.times.job_end = o_.now;
    if (failed_phase && !next_.times.end_of(*failed_phase)) {
      next_.times.end_of(*failed_phase) = o_.now;
    }
    // A temporary image may exist once a build that pushes to it (tests, signing) has begun; the cleanup
    // phase removes it (a missing image counts as removed).
    if (status != JobStatus::succeeded && next_.request.publishes_from_temp_image() &&
        next_.times.build_start) {
      next_.cleanup_for = next_.active_phase.value_or(Phase::build);
    }
  }

  void act(ActionKind kind, Phase phase, int attempt = 1) {
    const Action action{kind, phase, attempt};
    if (std::find(decision_.actions.begin(), decision_.actions.end(), action) == decision_.actions.end()) {
      decision_.actions.push_back(action);
    }
  }

  Decision finish() {
    if (next_.active_phase && !is_terminal(next_.status)) {
      const Phase phase = *next_.active_phase;
      if (const auto started = next_.times.start_of(phase)) {
        decision_.deadlines.push_back(*started + phase_timeout(next_, phase, config_) +
                                      std::chrono::seconds(1));
        if (!o_.active || o_.active->state != PhaseState::running) {
          decision_.deadlines.push_back(*started + config_.placement_timeout + std::chrono::seconds(1));
        }
      }
    }
    if (!(next_ == before_)) {
      decision_.record = std::move(next_);
    }
    return std::move(decision_);
  }

  const JobRecord& before_;
  JobRecord next_;
  const Observation& o_;
  const ReconcileConfig& config_;
  Decision decision_;
};

}  // namespace

Decision decide(const JobRecord& record, const Observation& observation, const ReconcileConfig& config) {
  Decision decision = Transition(record, observation, config).run();
  if (decision.actions == std::vector<Action>{{ActionKind::release_lock, Phase::build}}) {
    Observation released = observation;
    released.lock = LockState::free;
    released.lock_holder.clear();
    decision.once_released = std::make_unique<Decision>(Transition(record, released, config).run());
  }
  return decision;
}

}  // namespace nbs::mcpd
