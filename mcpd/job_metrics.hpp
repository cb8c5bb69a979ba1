// Job metrics for /metrics, recorded from the orchestrator's events: jobs by final status, phase events,
// phase durations by outcome, and how long jobs wait before their build starts (queue and build lock).
#pragma once

#include "mcpd/metrics.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"

namespace nbs::mcpd {

// Records one event. Thread-safe (the registry is); `metrics` must outlive the caller.
void record_job_event(MetricsRegistry& metrics, const JobEvent& event);

}  // namespace nbs::mcpd
