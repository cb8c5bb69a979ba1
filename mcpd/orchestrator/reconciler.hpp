// The one transition function of every job, the DECIDE step of a reconcile (reconcile.cpp reads,
// reconcile_apply.cpp applies). Level-triggered: from the job's record and what the executor and the
// lock report now, it computes the record to write and the actions to take. It has no side effects and
// no memory, so a restarted daemon, or a second replica, continues where the last one stopped. Only the
// watch loop calls it; request handlers only read records or record intent (a kill).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jobs/executor.hpp"
#include "mcpd/orchestrator/job_record.hpp"

namespace nbs::mcpd {

enum class LockState { free, ours, other };

// What the runner's result file says about the image it built.
struct BuildResult {
  std::string digest;
  std::uint64_t size = 0;
  std::string commit;
  std::map<std::string, std::string> platform_digests;  // several platforms
};
Result<BuildResult> parse_build_result(std::string_view json_text);

struct Observation {
  SystemTime now;
  LockState lock = LockState::free;
  std::string lock_holder;                        // the other job, when lock == other
  std::optional<jobs::PhaseObservation> active;   // record.active_phase at record.attempt
  std::optional<jobs::PhaseObservation> cleanup;  // the cleanup phase, when record.cleanup_for is set
  std::optional<BuildResult> result;              // the build's result file, once the build succeeded
  std::string start_error;                        // the executor refused to start the phase asked for
};

struct ReconcileConfig {
  std::chrono::seconds publish_timeout{std::chrono::minutes(10)};
  std::chrono::seconds placement_timeout{std::chrono::minutes(10)};
  int max_attempts = 2;  // a phase whose node was lost runs again, up to this many times in all
};

enum class ActionKind { acquire_lock, release_lock, start_phase, stop_phase };

struct Action {
  ActionKind kind;
  Phase phase = Phase::build;
  int attempt = 1;
  friend bool operator==(const Action&, const Action&) = default;
};

struct Decision {
  std::optional<JobRecord> record;  // write this (check-and-set) before taking the actions
  std::vector<Action> actions;
  std::optional<Phase> explain_failure;  // the loop explains the failure from this phase's log
  // When giving the lock back is all that is left to do: the decision once it is back. The lock's
  // release is the one action whose outcome is known in advance, so the job is written once, settled,
  // and never recorded settled while it holds its lock.
  std::unique_ptr<Decision> once_released;
  // The moments (a second past each deadline of the phase under way) at which this decision changes
  // with no report from the executor: the phase's timeout and, until it is seen running, its
  // placement timeout. Empty when no phase is under way.
  std::vector<SystemTime> deadlines;
};

Decision decide(const JobRecord& record, const Observation& observation, const ReconcileConfig& config);

// The deadline of a running phase, from the request (build, test) or the configuration (publish).
std::chrono::seconds phase_timeout(const JobRecord& record, Phase phase, const ReconcileConfig& config);

}  // namespace nbs::mcpd
