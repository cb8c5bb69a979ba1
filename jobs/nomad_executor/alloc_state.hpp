// What a phase's Nomad job says about the phase: the job, its allocations and its evaluations reduced
// to one PhaseObservation (the executor's vocabulary). The rules, from ref/nomad-api.md §2.4–2.7:
//  1. No job and no allocation: absent.
//  2. Each task group is judged by its newest allocation (highest CreateIndex); older ones were replaced.
//  3. A task is pending or running per TaskState.State. A dead task succeeded only if it is not Failed,
//     was not killed, and its last Terminated event has exit code 0 and no signal; otherwise it failed.
//     Its exit code comes from that Terminated event; its message from its most telling event.
//  4. An allocation whose ClientStatus is lost (node down) makes its unfinished tasks lost; "unknown"
//     (node disconnected) counts as running.
//  5. A group with no allocation is unplaceable when an evaluation reports FailedTGAllocs for it (the
//     message says why, e.g. "missing drivers (1)"), else pending.
//  6. A job that exists but is stopped, or dead, with no allocation at all has failed.
//  7. The phase is the worst of its groups: failed, lost, unplaceable, running, pending, succeeded. A
//     finished batch job is "dead" whether it succeeded or not: success is read from the allocations.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/executor.hpp"
#include "jobs/nomad/allocations.hpp"
#include "jobs/nomad/evaluations.hpp"
#include "jobs/nomad/jobs.hpp"

namespace nbs::jobs::nomad {

struct PhaseSnapshot {
  std::optional<JobInfo> job;  // nullopt: GET /v1/job/:id answered 404
  std::vector<Allocation> allocations;
  std::vector<Evaluation> evaluations;
};

PhaseObservation observe_phase(const PhaseSnapshot& snapshot);

// The task's state by rule 3 (without rule 4), its exit code and message.
TaskObservation observe_task(const std::string& name, const TaskState& state);

// "exit code 3, OOM killed", "Driver Failure: failed to pull image", …
std::string describe_event(const TaskEvent& event);

// The task that runs nbs-runner in the build, publish and cleanup jobs.
inline constexpr std::string_view k_runner_task = "runner";

// The newest allocation (rule 2) that has reported `task`; nullptr when none has.
const Allocation* newest_with_task(const std::vector<Allocation>& allocs, std::string_view task);

// Go time.Time in RFC 3339 (UTC "Z" or an offset, any fraction); nullopt for Go's zero time or bad text.
std::optional<SystemTime> parse_rfc3339(std::string_view text);

}  // namespace nbs::jobs::nomad
