// Job events become the metrics /metrics serves.
#include "mcpd/job_metrics.hpp"

#include <gtest/gtest.h>

namespace nbs::mcpd {
namespace {

using namespace std::chrono_literals;

JobRecord record_at(JobStatus status) {
  JobRecord r;
  r.id = "0b9e4a47-1f0c-4c43-9a5e-2d7f0c3b1a11";
  r.status = status;
  const SystemTime t0 = parse_utc("2026-11-26T10:00:00.000Z").value();
  r.times.job_start = t0;
  r.times.build_start = t0 + 3s;
  r.times.build_end = t0 + 45s;
  return r;
}

TEST(JobMetricsTest, RecordsQueueWaitPhaseDurationAndFinalStatus) {
  MetricsRegistry metrics;
  record_job_event(metrics, {"build.started", record_at(JobStatus::building)});
  record_job_event(metrics, {"build.failed", record_at(JobStatus::failed)});
  JobRecord failed = record_at(JobStatus::failed);
  failed.times.job_end = *failed.times.build_end;
  record_job_event(metrics, {"job.failed", failed});

  const std::string text = metrics.render();
  EXPECT_NE(text.find("nbs_phase_events_total{event=\"build.started\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("nbs_job_queue_wait_seconds_bucket{le=\"5\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("nbs_job_queue_wait_seconds_bucket{le=\"2.5\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("nbs_phase_duration_seconds_bucket{phase=\"build\",outcome=\"failed\",le=\"60\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("nbs_phase_duration_seconds_bucket{phase=\"build\",outcome=\"failed\",le=\"30\"} 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("nbs_jobs_finished_total{status=\"FAILED\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("nbs_job_duration_seconds_count{status=\"FAILED\"} 1"), std::string::npos) << text;
}

TEST(JobMetricsTest, AnEventWithoutItsTimesCountsButRecordsNoDuration) {
  MetricsRegistry metrics;
  JobRecord r = record_at(JobStatus::testing);
  record_job_event(metrics, {"test.completed", r});  // no test_start/test_end
  const std::string text = metrics.render();
  EXPECT_NE(text.find("nbs_phase_events_total{event=\"test.completed\"} 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("nbs_phase_duration_seconds_bucket"), std::string::npos) << text;
}

}  // namespace
}  // namespace nbs::mcpd
