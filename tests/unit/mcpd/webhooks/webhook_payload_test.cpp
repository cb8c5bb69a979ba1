#include "mcpd/webhooks/webhook_payload.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/unit/mcpd/webhooks/testutil.hpp"

namespace nbs::mcpd {
namespace {

namespace json = boost::json;
using test::make_event;

constexpr const char* k_url = "https://hooks.example.com/nbs";

TEST(WantsWebhook, FlagsGateOnlyTheOutcome) {
  auto started = make_event("build.started", JobStatus::building, k_url);
  auto done = make_event("job.completed", JobStatus::succeeded, k_url);
  auto phase_done = make_event("publish.completed", JobStatus::succeeded, k_url);
  auto failed = make_event("job.failed", JobStatus::failed, k_url);
  auto killed = make_event("job.killed", JobStatus::killed, k_url);
  for (auto* e : {&started, &done, &phase_done, &failed, &killed}) {
    EXPECT_TRUE(wants_webhook(*e)) << e->name;
    e->record.request.webhook_on_success = false;
  }
  EXPECT_TRUE(wants_webhook(started));
  EXPECT_FALSE(wants_webhook(done));
  EXPECT_FALSE(wants_webhook(phase_done));
  EXPECT_TRUE(wants_webhook(failed));
  EXPECT_TRUE(wants_webhook(killed));
  for (auto* e : {&started, &done, &phase_done, &failed, &killed}) {
    e->record.request.webhook_on_success = true;
    e->record.request.webhook_on_failure = false;
  }
  EXPECT_TRUE(wants_webhook(started));
  EXPECT_TRUE(wants_webhook(done));
  EXPECT_FALSE(wants_webhook(failed));
  EXPECT_FALSE(wants_webhook(killed));
  // Both off: only progress goes out (the old service turned this into both on).
  started.record.request.webhook_on_success = false;
  EXPECT_TRUE(wants_webhook(started));
  started.record.request.webhook_url.clear();
  EXPECT_FALSE(wants_webhook(started));
}

TEST(WebhookBody, SuccessCarriesImagesAndDigest) {
  auto event = make_event("job.completed", JobStatus::succeeded, k_url);
  event.record.request.webhook_secret = "never-in-the-body";
  event.record.request.webhook_headers = {{"Authorization", "Bearer never-in-the-body"}};
  const std::string body =
      webhook_body(event, "d-1", SystemTime(std::chrono::milliseconds(1'800'000'091'000)));
  EXPECT_EQ(body.find("never-in-the-body"), std::string::npos);
  const json::object o = json::parse(body).as_object();
  EXPECT_EQ(o.at("event"), "job.completed");
  EXPECT_EQ(o.at("delivery_id"), "d-1");
  EXPECT_EQ(o.at("timestamp"), "2027-01-15T08:01:31.000Z");
  EXPECT_EQ(o.at("job_id"), json::value(event.record.id));
  EXPECT_EQ(o.at("status"), "SUCCEEDED");
  EXPECT_EQ(o.at("owner"), "alice");
  EXPECT_EQ(o.at("phase"), "publish");
  EXPECT_EQ(o.at("repo_url"), "https://git.example.com/team/app.git");
  EXPECT_EQ(o.at("git_ref"), "main");
  EXPECT_EQ(o.at("commit"), json::value(std::string(40, 'c')));
  EXPECT_EQ(o.at("image"), "registry.example.com:5000/team/app");
  EXPECT_EQ(o.at("digest"), json::value("sha256:" + std::string(64, 'a')));
  EXPECT_EQ(o.at("image_size"), json::value(12345));
  EXPECT_EQ(o.at("images").as_array().size(), 2u);
  EXPECT_EQ(o.at("duration_ms"), json::value(90500));
  EXPECT_EQ(o.at("times").at("job_start"), "2027-01-15T08:00:00.000Z");
  EXPECT_FALSE(o.contains("error"));
  EXPECT_FALSE(o.contains("excerpt"));
}

TEST(WebhookBody, FailureCarriesPhaseErrorAndExcerpt) {
  auto event = make_event("job.failed", JobStatus::failed, k_url);
  const json::object o = json::parse(webhook_body(event, "d-2", now_utc())).as_object();
  EXPECT_EQ(o.at("status"), "FAILED");
  EXPECT_EQ(o.at("failed_phase"), "test");
  EXPECT_EQ(o.at("error"), "test command 1 exited with 2");
  EXPECT_EQ(o.at("excerpt"), json::value(json::parse(R"(["FAIL: test_thing","exit status 2"])")));
  EXPECT_FALSE(o.contains("images"));
}

TEST(WebhookBody, ProgressHasNoOutcome) {
  auto event = make_event("build.started", JobStatus::building, k_url);
  event.record.times.job_end.reset();
  const json::object o = json::parse(webhook_body(event, "d-3", now_utc())).as_object();
  EXPECT_EQ(o.at("event"), "build.started");
  EXPECT_EQ(o.at("status"), "BUILDING");
  EXPECT_EQ(o.at("phase"), "build");
  EXPECT_FALSE(o.contains("duration_ms"));
  EXPECT_FALSE(o.contains("images"));
  EXPECT_FALSE(o.contains("error"));
  event.record.active_phase.reset();
  EXPECT_TRUE(json::parse(webhook_body(event, "d-4", now_utc())).as_object().at("phase").is_null());
}

}  // namespace
}  // namespace nbs::mcpd
