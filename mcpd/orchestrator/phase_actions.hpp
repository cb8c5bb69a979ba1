// What the APPLY step of a reconcile does to the world for a decided action (reconciler.hpp): take or
// give back the build lock, start a phase with its runner spec, stop one; and, before a failed job's
// record is written, the explanation of its failure from the failing task's log.
#pragma once

#include <chrono>
#include <string>

#include "common/error.hpp"
#include "jobs/executor.hpp"
#include "jobs/record_store.hpp"
#include "mcpd/orchestrator/build_lock.hpp"
#include "mcpd/orchestrator/job_record.hpp"
#include "mcpd/orchestrator/orchestrator_config.hpp"
#include "mcpd/orchestrator/reconciler.hpp"

namespace nbs::mcpd {

// A job's build lock: its key in the record store and how long a lease lives (longer than the job may
// take). Worked out once per reconcile, in its READ step.
struct LockTerms {
  std::string key;
  std::chrono::seconds ttl{0};
};
LockTerms lock_terms(const JobRecord& record, const OrchestratorConfig& config);

class PhaseActions {
 public:
  PhaseActions(jobs::Executor& executor, jobs::RecordStore& store, BuildLock& lock,
               const OrchestratorConfig& config)
      : executor_(executor), store_(store), lock_(lock), config_(config) {}

  // Idempotent: a lock already taken by another, a phase already started count as done.
  Status act(const JobRecord& record, const Action& action, const LockTerms& lock);

  // Fills record.failure (task, class, summary, location, evidence) and record.excerpt from the
  // failing task's log.
  void explain_failure(JobRecord& record, Phase phase);

 private:
  // The RunnerSpec (JSON) of a build, publish or cleanup launch, its deadline counted from now.
  std::string runner_spec(const jobs::PhaseLaunch& launch) const;

  jobs::Executor& executor_;
  jobs::RecordStore& store_;  // the secret build args the build phase's spec gets back
  BuildLock& lock_;
  const OrchestratorConfig& config_;
};

}  // namespace nbs::mcpd
