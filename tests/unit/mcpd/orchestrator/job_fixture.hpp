// What the tests that drive whole jobs through an Orchestrator share (orchestrator_test.cpp on the local
// executor, orchestrator_nomad_test.cpp on nomad-sim, orchestrator_history_test.cpp): a job request,
// submitting it, following it with wait_for_change as getStatus does, the events the orchestrator sent,
// and the local executor with the fake runner.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jobs/local/local_executor.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"

namespace nbs::test_support {

// The local executor with `fake_runner` as runner and podman, polling often so tests are quick.
inline std::unique_ptr<jobs::LocalExecutor> local_executor(const std::filesystem::path& state_dir,
                                                           const std::string& fake_runner,
                                                           const std::string& task_supervisor) {
  auto executor =
      jobs::LocalExecutor::create(jobs::LocalExecutorConfig{.state_dir = state_dir,
                                                            .runner_path = fake_runner,
                                                            .supervisor_path = task_supervisor,
                                                            .podman_path = fake_runner,
                                                            .poll_interval = std::chrono::milliseconds(20)});
  EXPECT_TRUE(executor) << executor.error().message;
  return executor ? std::move(*executor) : nullptr;
}

class JobFixture : public ::testing::Test {
 protected:
  // A valid job request; `extra` is spliced into the JSON object (", \"test\": {…}").
  static boost::json::value job(const std::string& extra = "", const std::string& image = "team/app") {
    return boost::json::parse(
        R"({"owner": "t", "repo_url": "https://h/r.git", "registry_url": "reg:5000", "image_name": ")" +
        image + "\"" + extra + "}");
  }

  mcpd::JobRecord submit(const boost::json::value& config) {
    auto r = orchestrator_->submit(config);
    EXPECT_TRUE(r) << (r ? "" : r.error().describe());
    return r ? *r : mcpd::JobRecord{};
  }

  // Follows the job with wait_for_change (as getStatus does) until it is settled.
  mcpd::JobRecord settle(const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + settle_limit_;
    mcpd::JobRecord seen = *orchestrator_->get(id);
    while (!seen.settled && std::chrono::steady_clock::now() < deadline) {
      seen = *orchestrator_->wait_for_change(id, seen, std::chrono::seconds(1));
    }
    EXPECT_TRUE(seen.settled) << id << " is " << mcpd::to_string(seen.status) << ": " << seen.error;
    return seen;
  }

  mcpd::JobRecord wait_for_status(const std::string& id, mcpd::JobStatus status) {
    const auto deadline = std::chrono::steady_clock::now() + status_limit_;
    mcpd::JobRecord seen = *orchestrator_->get(id);
    while (seen.status != status && std::chrono::steady_clock::now() < deadline) {
      seen = *orchestrator_->wait_for_change(id, seen, std::chrono::milliseconds(500));
    }
    EXPECT_EQ(mcpd::to_string(seen.status), mcpd::to_string(status));
    return seen;
  }

  // Keeps every event as "<first 4 characters of the job id>:<name>".
  mcpd::Orchestrator::EventSink event_sink() {
    return [this](const mcpd::JobEvent& e) {
      {
        std::lock_guard guard(events_mutex_);
        events_.push_back(e.record.id.substr(0, 4) + ":" + e.name);
      }
      events_changed_.notify_all();
    };
  }

  std::vector<std::string> events_for(const std::string& id) {
    std::lock_guard guard(events_mutex_);
    std::vector<std::string> out;
    for (const auto& e : events_) {
      if (e.starts_with(id.substr(0, 4) + ":")) {
        out.push_back(e.substr(5));
      }
    }
    return out;
  }

  // Waits for one of the job's events without asking the orchestrator (whose getStatus long-poll reads
  // the record store every second): what remains is the orchestrator's own traffic.
  bool wait_for_event(const std::string& id, const std::string& name, std::chrono::seconds limit) {
    std::unique_lock guard(events_mutex_);
    return events_changed_.wait_for(guard, limit, [&] {
      return std::find(events_.begin(), events_.end(), id.substr(0, 4) + ":" + name) != events_.end();
    });
  }

  // What a build that failed at its `RUN make` step (build arg FAKE_BUILD_EXIT=3) records, whatever the
  // executor: the class and place the runner tagged, and the step's own lines as evidence (not the
  // runner's command line nor Buildah's STEP echo).
  static void expect_failed_build_step(const mcpd::JobRecord& done) {
    EXPECT_EQ(done.status, mcpd::JobStatus::failed);
    EXPECT_EQ(done.failed_phase, Phase::build);
    ASSERT_TRUE(done.failure);
    EXPECT_EQ(done.failure->failure_class, FailureClass::build_step_failed);
    EXPECT_EQ(done.failure->task, "runner");
    EXPECT_EQ(done.failure->summary, "RUN make: exit status 3");
    EXPECT_EQ(done.failure->location, "Dockerfile:3");
    const auto& evidence = done.failure->evidence;
    EXPECT_EQ(std::count(evidence.begin(), evidence.end(), "make: *** [all] Error 3"), 1);
    EXPECT_EQ(std::count(evidence.begin(), evidence.end(), "STEP 1/1: RUN make"), 0);
    EXPECT_EQ(std::count(evidence.begin(), evidence.end(), "$ buildah bud --layers ."), 0);
    EXPECT_EQ(done.excerpt, evidence);
  }

  // What a job whose second test command (`make fail`, which the fake podman fails with exit code 7)
  // failed records, whatever the executor; the temporary image was removed all the same.
  static void expect_failed_test(const mcpd::JobRecord& done) {
    EXPECT_EQ(done.status, mcpd::JobStatus::failed);
    EXPECT_EQ(done.failed_phase, Phase::test);
    ASSERT_TRUE(done.failure);
    EXPECT_EQ(done.failure->failure_class, FailureClass::test_failed);
    EXPECT_EQ(done.failure->task, "cmd-1");
    EXPECT_EQ(done.failure->summary, "test task cmd-1 (`make fail`) failed: exit code 7");
    ASSERT_FALSE(done.failure->evidence.empty());
    EXPECT_EQ(done.failure->evidence.back(), "make fail");
    EXPECT_TRUE(done.temp_cleaned);
  }

  std::chrono::seconds settle_limit_{20};
  std::chrono::seconds status_limit_{10};
  std::unique_ptr<mcpd::Orchestrator> orchestrator_;
  std::mutex events_mutex_;
  std::condition_variable events_changed_;
  std::vector<std::string> events_;
};

}  // namespace nbs::test_support
