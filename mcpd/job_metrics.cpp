#include "mcpd/job_metrics.hpp"

#include <chrono>

namespace nbs::mcpd {

namespace {

// Seconds: a hello-world phase takes about one, a large build half an hour.
const std::vector<double> k_duration_buckets{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600};

std::optional<double> seconds_between(const std::optional<SystemTime>& from,
                                      const std::optional<SystemTime>& to) {
  if (!from || !to) {
    return std::nullopt;
  }
  return std::chrono::duration<double>(*to - *from).count();
}

// "build.completed" → (build, completed); nullopt for job.* and *.started events.
std::optional<std::pair<Phase, std::string>> phase_outcome(std::string_view name) {
  const auto dot = name.find('.');
  if (dot == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view outcome = name.substr(dot + 1);
  auto phase = parse_phase(name.substr(0, dot));
  if (!phase || (outcome != "completed" && outcome != "failed")) {
    return std::nullopt;
  }
  return std::pair{*phase, std::string(outcome)};
}

}  // namespace

void record_job_event(MetricsRegistry& metrics, const JobEvent& event) {
  const JobRecord& r = event.record;
  if (event.name.starts_with("job.")) {
    metrics.counter("nbs_jobs_finished_total", "Jobs that reached a final status", {"status"})
        .inc({std::string(to_string(r.status))});
    if (auto total = seconds_between(r.times.job_start, r.times.job_end)) {
      metrics.histogram("nbs_job_duration_seconds", "Submit to final status", {"status"}, k_duration_buckets)
          .observe({std::string(to_string(r.status))}, *total);
    }
    return;
  }
  metrics.counter("nbs_phase_events_total", "Phase starts, completions and failures", {"event"})
      .inc({event.name});
  if (event.name == "build.started") {
    if (auto wait = seconds_between(r.times.job_start, r.times.build_start)) {
      metrics
          .histogram("nbs_job_queue_wait_seconds", "Submit to build start (capacity and the build lock)", {},
                     k_duration_buckets)
          .observe({}, *wait);
    }
  }
  if (auto po = phase_outcome(event.name)) {
    PhaseTimes times = r.times;
    if (auto took = seconds_between(times.start_of(po->first), times.end_of(po->first))) {
      metrics
          .histogram("nbs_phase_duration_seconds", "Phase run time by outcome", {"phase", "outcome"},
                     k_duration_buckets)
          .observe({std::string(to_string(po->first)), po->second}, *took);
    }
  }
}

}  // namespace nbs::mcpd
