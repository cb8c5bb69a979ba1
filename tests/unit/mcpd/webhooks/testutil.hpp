// Job events and a report collector for the webhook tests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "mcpd/orchestrator/orchestrator.hpp"
#include "mcpd/webhooks/webhook_sender.hpp"

namespace nbs::test {

inline mcpd::JobEvent make_event(std::string name, mcpd::JobStatus status, const std::string& url,
                                 std::string job_id = "3f2b8a1c-0d4e-4f6a-9b7c-1e2d3c4b5a69") {
  mcpd::JobEvent event;
  event.name = std::move(name);
  auto& r = event.record;
  r.id = std::move(job_id);
  r.status = status;
  r.request.owner = "alice";
  r.request.repo_url = "https://git.example.com/team/app.git";
  r.request.git_ref = "main";
  r.request.registry_url = "registry.example.com:5000/team";
  r.request.image_name = "app";
  r.request.webhook_url = url;
  r.times.job_start = SystemTime(std::chrono::milliseconds(1'800'000'000'000));
  r.times.build_start = SystemTime(std::chrono::milliseconds(1'800'000'001'000));
  switch (status) {
    case mcpd::JobStatus::succeeded:
      r.active_phase = Phase::publish;
      r.times.job_end = SystemTime(std::chrono::milliseconds(1'800'000'090'500));
      r.digest = "sha256:" + std::string(64, 'a');
      r.image_size = 12345;
      r.images = {"registry.example.com:5000/team/app:" + r.id, "registry.example.com:5000/team/app:latest"};
      r.commit = std::string(40, 'c');
      break;
    case mcpd::JobStatus::failed:
      r.active_phase = Phase::test;
      r.failed_phase = Phase::test;
      r.error = "test command 1 exited with 2";
      r.excerpt = {"FAIL: test_thing", "exit status 2"};
      r.times.job_end = SystemTime(std::chrono::milliseconds(1'800'000'030'000));
      break;
    case mcpd::JobStatus::killed:
      r.active_phase = Phase::build;
      r.error = "killed by request";
      break;
    default:
      r.active_phase = Phase::build;
      break;
  }
  return event;
}

// Collects the sender's reports; wait() blocks until a matching one arrives.
class Reports {
 public:
  std::function<void(const mcpd::WebhookReport&)> callback() {
    return [this](const mcpd::WebhookReport& report) {
      {
        std::lock_guard lock(mutex_);
        reports_.push_back(report);
      }
      changed_.notify_all();
    };
  }

  // The first report with `outcome` (waiting up to `timeout`), or nullopt.
  std::optional<mcpd::WebhookReport> wait(mcpd::WebhookOutcome outcome,
                                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    std::optional<mcpd::WebhookReport> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto& r : reports_) {
        if (r.outcome == outcome) {
          found = r;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  // Waits until `n` final reports (anything but retrying) arrived.
  bool wait_final(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      return static_cast<std::size_t>(std::count_if(reports_.begin(), reports_.end(), [](const auto& r) {
               return r.outcome != mcpd::WebhookOutcome::retrying;
             })) >= n;
    });
  }

  std::vector<mcpd::WebhookReport> all() {
    std::lock_guard lock(mutex_);
    return reports_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<mcpd::WebhookReport> reports_;
};

}  // namespace nbs::test
