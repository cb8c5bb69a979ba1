// WebhookSender against a real local receiver (receiver.hpp): what arrives, how failures are retried,
// what the SSRF guard refuses, and how the queue and shutdown behave. Waits are short by configuration.
#include "mcpd/webhooks/webhook_sender.hpp"

#include <array>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include "tests/unit/mcpd/webhooks/receiver.hpp"
#include "tests/unit/mcpd/webhooks/testutil.hpp"
#include "tests/unit/testutil/wait.hpp"

namespace nbs::mcpd {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using test::make_event;
using test::Receiver;
using test::Reply;
using Clock = std::chrono::steady_clock;

// Computed here with the one-shot HMAC(), independently of the code under test.
std::string expected_signature(const std::string& secret, const std::string& body) {
  std::array<unsigned char, 32> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac.data(), &length);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", mac[i]);
    hex += buf;
  }
  return "sha256=" + hex;
}

WebhookSenderOptions fast_options(test::Reports& reports) {
  WebhookSenderOptions options;
  options.private_targets = PrivateTargets::allow;
  options.attempt_timeout = 5s;
  options.retry.max_attempts = 3;
  options.retry.initial_backoff = 10ms;
  options.retry.max_backoff = 40ms;
  options.retry.max_retry_after = 300ms;
  options.shutdown_grace = 2s;
  options.on_report = reports.callback();
  return options;
}

std::unique_ptr<WebhookSender> make_sender(WebhookSenderOptions options) {
  auto sender = WebhookSender::create(std::move(options));
  EXPECT_TRUE(sender) << sender.error().message;
  return sender ? std::move(*sender) : nullptr;
}

// The connection goes to the address the guard checked, but the receiver still sees its own name, as
// name-based virtual hosts and CDNs need.
TEST(WebhookSender, KeepsTheHostNameWhileConnectingToTheCheckedAddress) {
  Receiver receiver;
  test::Reports reports;
  auto sender = make_sender(fast_options(reports));
  sender->enqueue(make_event("job.completed", JobStatus::succeeded,
                             "http://localhost:" + std::to_string(receiver.port()) + "/hook"));
  ASSERT_TRUE(reports.wait(WebhookOutcome::sent));
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("Host"), "localhost:" + std::to_string(receiver.port()));
}

TEST(WebhookSender, DeliversSignedBodyWithHeaders) {
  Receiver receiver;
  test::Reports reports;
  auto sender = make_sender(fast_options(reports));
  auto event = make_event("job.completed", JobStatus::succeeded, receiver.url("/hooks/nbs?team=a"));
  event.record.request.webhook_secret = "s3cret";
  event.record.request.webhook_headers = {{"X-Team", "build"}, {"Authorization", "Bearer abc"}};
  sender->enqueue(event);

  const auto sent = reports.wait(WebhookOutcome::sent);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->http_status, 200);
  EXPECT_EQ(sent->attempts, 1);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hooks/nbs?team=a");
  EXPECT_EQ(r.header("Host"), "127.0.0.1:" + std::to_string(receiver.port()));
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size()));
  EXPECT_EQ(r.header("User-Agent"), default_webhook_user_agent());
  EXPECT_TRUE(r.header("User-Agent").starts_with("nbs-mcpd/"));
  EXPECT_EQ(r.header("X-Webhook-Signature"), expected_signature("s3cret", r.body));
  EXPECT_EQ(r.header("X-Webhook-Event"), "job.completed");
  EXPECT_EQ(r.header("X-Webhook-Delivery"), sent->delivery_id);
  EXPECT_EQ(r.header("X-Webhook-Attempt"), "1");
  EXPECT_EQ(r.header("X-Team"), "build");
  EXPECT_EQ(r.header("Authorization"), "Bearer abc");

  const json::object body = json::parse(r.body).as_object();
  EXPECT_EQ(body.at("event"), "job.completed");
  EXPECT_EQ(body.at("delivery_id"), json::value(sent->delivery_id));
  EXPECT_EQ(body.at("job_id"), json::value(event.record.id));
  EXPECT_EQ(body.at("status"), "SUCCEEDED");
  EXPECT_EQ(body.at("owner"), "alice");
  EXPECT_EQ(body.at("phase"), "publish");
  EXPECT_EQ(body.at("digest"), json::value(event.record.digest));
  EXPECT_EQ(body.at("images").as_array().size(), 2u);
  EXPECT_TRUE(parse_utc(body.at("timestamp").as_string()));
  EXPECT_EQ(r.body.find("s3cret"), std::string::npos);

  const auto counts = sender->counters();
  EXPECT_EQ(counts.queued, 1u);
  EXPECT_EQ(counts.sent, 1u);
  EXPECT_EQ(counts.failed + counts.refused + counts.dropped + counts.retried, 0u);
}

TEST(WebhookSender, NoSignatureWithoutSecret) {
  Receiver receiver;
  test::Reports reports;
  auto sender = make_sender(fast_options(reports));
  sender->enqueue(make_event("build.started", JobStatus::building, receiver.url()));
  ASSERT_TRUE(reports.wait(WebhookOutcome::sent));
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].all("X-Webhook-Signature").empty());
  EXPECT_EQ(json::parse(requests[0].body).at("event"), "build.started");
}

TEST(WebhookSender, CustomHeadersCannotOverrideServiceHeaders) {
  Receiver receiver;
  test::Reports reports;
  auto sender = make_sender(fast_options(reports));
  auto event = make_event("job.failed", JobStatus::failed, receiver.url());
  event.record.request.webhook_secret = "k";
  // The validator refuses these names; a stored record is checked again all the same.
  event.record.request.webhook_headers = {
      {"Content-Type", "text/plain"}, {"X-Webhook-Signature", "sha256=forged"},
      {"Host", "evil.example"},       {"Content-Length", "0"},
      {"User-Agent", "spoof"},        {"X-Ok", "1"}};
  sender->enqueue(event);
  ASSERT_TRUE(reports.wait(WebhookOutcome::sent));
  const auto r = receiver.requests().at(0);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("X-Webhook-Signature"), expected_signature("k", r.body));
  EXPECT_EQ(r.header("Host"), "127.0.0.1:" + std::to_string(receiver.port()));
  EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size()));
  EXPECT_EQ(r.header("User-Agent"), default_webhook_user_agent());
  EXPECT_EQ(r.header("X-Ok"), "1");
}

TEST(WebhookSender, RetriesServerErrorsThenSucceeds) {
  Receiver receiver([](const test::ReceivedRequest&, std::size_t n) { return Reply{n < 3 ? 500 : 200}; });
  test::Reports reports;
  auto sender = make_sender(fast_options(reports));
  auto event = make_event("job.completed", JobStatus::succeeded, receiver.url());
  event.record.request.webhook_secret = "k";
  sender->enqueue(event);
  const auto sent = reports.wait(WebhookOutcome::sent);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->attempts, 3);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    // The same delivery each time: a receiver can deduplicate by id, and the signature still holds.
    EXPECT_EQ(requests[i].body, requests[0].body);
    EXPECT_EQ(requests[i].header("X-Webhook-Delivery"), sent->delivery_id);
    EXPECT_EQ(requests[i].header("X-Webhook-Attempt"), std::to_string(i + 1));
    EXPECT_EQ(requests[i].header("X-Webhook-Signature"), expected_signature("k", requests[i].body));
  }
  const auto counts = sender->counters();
  EXPECT_EQ(counts.sent, 1u);
  EXPECT_EQ(counts.retried, 2u);
  EXPECT_EQ(counts.failed, 0u);
}

TEST(WebhookSender, GivesUpAfterMaxAttempts) {
  Receiver receiver([](const test::ReceivedRequest&, std::size_t) { return Reply{503}; });
  test::Reports reports;
  auto sender = make_sender(fast_options(reports));
  sender->enqueue(make_event("job.failed", JobStatus::failed, receiver.url()));
  const auto failed = reports.wait(WebhookOutcome::failed);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->attempts, 3);
  EXPECT_EQ(failed->http_status, 503);
  EXPECT_EQ(failed->error, "HTTP 503");
  EXPECT_EQ(receiver.requests().size(), 3u);
  EXPECT_EQ(sender->counters().retried, 2u);
  EXPECT_EQ(sender->counters().failed, 1u);
}

TEST(WebhookSender, NoRetryOnClientError) {
  Receiver receiver([](const test::ReceivedRequest&, std::size_t) { return Reply{400}; });
  test::Reports reports;
  auto sender = make_sender(fast_options(reports));
  sender->enqueue(make_event("job.completed", JobStatus::succeeded, receiver.url()));
  const auto failed = reports.wait(WebhookOutcome::failed);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->attempts, 1);
  EXPECT_EQ(failed->http_status, 400);
  // No second attempt for as long as any backoff of fast_options.
  EXPECT_TRUE(test_support::stays_false([&] { return receiver.requests().size() > 1; }, 100ms));
  EXPECT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(sender->counters().retried, 0u);
}

TEST(WebhookSender, RetriesConnectionRefused) {
  test::Reports reports;
  auto options = fast_options(reports);
  options.retry.max_attempts = 2;
  auto sender = make_sender(std::move(options));
  sender->enqueue(make_event("job.completed", JobStatus::succeeded,
                             "http://127.0.0.1:" + std::to_string(test::closed_port()) + "/hook"));
  const auto failed = reports.wait(WebhookOutcome::failed);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->attempts, 2);
  EXPECT_EQ(failed->http_status, 0);
  EXPECT_NE(failed->error.find("connect"), std::string::npos) << failed->error;
  EXPECT_EQ(sender->counters().retried, 1u);
}

TEST(WebhookSender, HonoursRetryAfterUpToTheCap) {
  // Retry-After: 1 s, capped at 300 ms; the backoff (5 s) would be far longer, so the gap shows which won.
  Receiver receiver([](const test::ReceivedRequest&, std::size_t n) {
    return n == 1 ? Reply{429, {{"Retry-After", "1"}}} : Reply{200};
  });
  test::Reports reports;
  auto options = fast_options(reports);
  options.retry.initial_backoff = 5s;
  options.retry.max_backoff = 5s;
  auto sender = make_sender(std::move(options));
  sender->enqueue(make_event("job.completed", JobStatus::succeeded, receiver.url()));
  ASSERT_TRUE(reports.wait(WebhookOutcome::sent));
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 2u);
  const auto gap = requests[1].at - requests[0].at;
  EXPECT_GE(gap, 280ms);
  EXPECT_LT(gap, 900ms);
  const auto retrying = reports.wait(WebhookOutcome::retrying);
  ASSERT_TRUE(retrying);
  EXPECT_EQ(retrying->http_status, 429);
}

TEST(WebhookSender, OneDeadlineForTheWholeAttempt) {
  // Each byte comes well within the step timeout; the attempt as a whole does not.
  Receiver receiver([](const test::ReceivedRequest&, std::size_t) { return Reply{.trickle = true}; });
  test::Reports reports;
  auto options = fast_options(reports);
  options.attempt_timeout = 300ms;
  options.retry.max_attempts = 2;
  auto sender = make_sender(std::move(options));
  const auto start = Clock::now();
  sender->enqueue(make_event("job.completed", JobStatus::succeeded, receiver.url()));
  const auto failed = reports.wait(WebhookOutcome::failed);
  ASSERT_TRUE(failed);
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_EQ(failed->attempts, 2);
  EXPECT_EQ(failed->error, "http: POST " + receiver.url() + ": no complete answer within 300 ms");
  EXPECT_EQ(receiver.requests().size(), 2u);
}

TEST(WebhookSender, FlagsSuppressOutcomes) {
  Receiver receiver;
  test::Reports reports;
  auto sender = make_sender(fast_options(reports));
  auto done = make_event("job.completed", JobStatus::succeeded, receiver.url(), "job-ok");
  done.record.request.webhook_on_success = false;
  auto failed = make_event("job.failed", JobStatus::failed, receiver.url(), "job-bad");
  failed.record.request.webhook_on_success = false;
  sender->enqueue(done);
  sender->enqueue(failed);
  auto quiet = make_event("job.failed", JobStatus::failed, receiver.url(), "job-quiet");
  quiet.record.request.webhook_on_failure = false;
  sender->enqueue(quiet);
  sender->enqueue(make_event("job.completed", JobStatus::succeeded, "", "job-no-url"));
  ASSERT_TRUE(reports.wait_final(1));
  // Nothing more is sent for as long as any backoff of fast_options.
  EXPECT_TRUE(test_support::stays_false([&] { return receiver.requests().size() > 1; }, 100ms));
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(json::parse(requests[0].body).at("job_id"), "job-bad");
  EXPECT_EQ(sender->counters().queued, 1u);
}

TEST(WebhookSender, RefusesPrivateTargetsWithoutConnecting) {
  Receiver receiver;
  test::Reports reports;
  auto options = fast_options(reports);
  options.private_targets = PrivateTargets::refuse;
  auto sender = make_sender(std::move(options));
  const std::string port = std::to_string(receiver.port());
  const std::vector<std::pair<std::string, std::string>> cases{
      {receiver.url(), "webhook_url: 127.0.0.1 is a loopback address"},
      {"http://10.1.2.3:" + port + "/hook", "webhook_url: 10.1.2.3 is a private address"},
      {"http://169.254.169.254/latest/meta-data", "webhook_url: 169.254.169.254 is a link-local address"},
      {"http://[::1]:" + port + "/hook", "webhook_url: ::1 is a loopback address"},
      {"http://[::ffff:127.0.0.1]:" + port + "/hook", "webhook_url: ::ffff:127.0.0.1 is a loopback address"},
      {"http://0.0.0.0:" + port + "/hook", "webhook_url: 0.0.0.0 is an unspecified address"},
      {"http://localhost:" + port + "/hook", "webhook_url: localhost resolves to "},
  };
  const auto start = Clock::now();
  for (std::size_t i = 0; i < cases.size(); ++i) {
    sender->enqueue(make_event("job.failed", JobStatus::failed, cases[i].first, "job-" + std::to_string(i)));
  }
  ASSERT_TRUE(reports.wait_final(cases.size()));
  EXPECT_LT(Clock::now() - start, 2s);  // no connect to 10.1.2.3 was tried (it would hang until the timeout)
  for (const auto& report : reports.all()) {
    ASSERT_EQ(report.outcome, WebhookOutcome::refused) << report.error;
    EXPECT_EQ(report.attempts, 1);
    const auto index = std::stoul(report.job_id.substr(4));
    EXPECT_TRUE(report.error.starts_with(cases[index].second)) << report.error;
    EXPECT_NE(report.error.find("refused unless the daemon allows them"), std::string::npos);
  }
  EXPECT_EQ(receiver.connections(), 0u);
  EXPECT_EQ(sender->counters().refused, cases.size());
  EXPECT_EQ(sender->counters().retried, 0u);
}

TEST(WebhookSender, RefusesOtherSchemes) {
  test::Reports reports;
  auto sender = make_sender(fast_options(reports));
  sender->enqueue(make_event("job.failed", JobStatus::failed, "ftp://example.com/x"));
  const auto refused = reports.wait(WebhookOutcome::refused);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->error, "webhook_url: only http and https are allowed");
}

TEST(WebhookSender, FullQueueDropsTheOldest) {
  // One delivery at a time, and the receiver never answers: the first one holds the only slot.
  Receiver receiver([](const test::ReceivedRequest&, std::size_t) { return Reply{.hang = true}; });
  test::Reports reports;
  auto options = fast_options(reports);
  options.max_in_flight = 1;
  options.queue_capacity = 2;
  options.attempt_timeout = 30s;
  options.shutdown_grace = 100ms;
  auto sender = make_sender(std::move(options));
  sender->enqueue(make_event("job.failed", JobStatus::failed, receiver.url(), "job-a"));
  ASSERT_TRUE(receiver.wait_for(1));
  for (const char* id : {"job-b", "job-c", "job-d", "job-e"}) {
    sender->enqueue(make_event("job.failed", JobStatus::failed, receiver.url(), id));
  }
  auto counts = sender->counters();
  EXPECT_EQ(counts.queued, 5u);
  EXPECT_EQ(counts.dropped, 2u);
  EXPECT_EQ(counts.pending, 2u);
  EXPECT_EQ(counts.in_flight, 1u);
  auto dropped = reports.all();
  ASSERT_EQ(dropped.size(), 2u);
  EXPECT_EQ(dropped[0].job_id, "job-b");
  EXPECT_EQ(dropped[0].error, "the queue is full");
  EXPECT_EQ(dropped[1].job_id, "job-c");

  sender.reset();  // the grace runs out: job-a abandoned, job-d and job-e dropped
  const auto all = reports.all();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[2].job_id, "job-a");
  EXPECT_EQ(all[2].outcome, WebhookOutcome::failed);
  EXPECT_EQ(all[2].error, "abandoned at shutdown");
  EXPECT_EQ(all[3].job_id, "job-d");
  EXPECT_EQ(all[3].outcome, WebhookOutcome::dropped);
  EXPECT_EQ(all[4].job_id, "job-e");
  EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST(WebhookSender, EnqueueDoesNotWaitForTheReceiver) {
  Receiver receiver([](const test::ReceivedRequest&, std::size_t) { return Reply{.hang = true}; });
  test::Reports reports;
  auto options = fast_options(reports);
  options.max_in_flight = 2;
  options.queue_capacity = 100;
  options.shutdown_grace = 100ms;
  auto sender = make_sender(std::move(options));
  const auto start = Clock::now();
  for (int i = 0; i < 200; ++i) {
    sender->enqueue(
        make_event("build.started", JobStatus::building, receiver.url(), "job-" + std::to_string(i)));
  }
  EXPECT_LT(Clock::now() - start, 1s);
  const auto counts = sender->counters();
  EXPECT_EQ(counts.queued, 200u);
  EXPECT_EQ(counts.dropped + counts.pending + counts.in_flight, 200u);
}

TEST(WebhookSender, DestructorReturnsPromptlyWithAHangingReceiver) {
  Receiver receiver([](const test::ReceivedRequest&, std::size_t) { return Reply{.hang = true}; });
  test::Reports reports;
  auto options = fast_options(reports);
  options.attempt_timeout = 60s;
  options.shutdown_grace = 200ms;
  auto sender = make_sender(std::move(options));
  sender->enqueue(make_event("job.completed", JobStatus::succeeded, receiver.url()));
  ASSERT_TRUE(receiver.wait_for(1));
  const auto start = Clock::now();
  sender.reset();
  const auto took = Clock::now() - start;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 1500ms);
  const auto failed = reports.wait(WebhookOutcome::failed, 0ms);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->error, "abandoned at shutdown");
}

TEST(WebhookSender, ShutdownCutsARetryWaitShort) {
  Receiver receiver([](const test::ReceivedRequest&, std::size_t) { return Reply{500}; });
  test::Reports reports;
  auto options = fast_options(reports);
  options.retry.initial_backoff = 30s;
  options.retry.max_backoff = 30s;
  options.shutdown_grace = 5s;
  auto sender = make_sender(std::move(options));
  sender->enqueue(make_event("job.failed", JobStatus::failed, receiver.url()));
  ASSERT_TRUE(reports.wait(WebhookOutcome::retrying));
  const auto start = Clock::now();
  sender.reset();
  EXPECT_LT(Clock::now() - start, 1s);
  const auto failed = reports.wait(WebhookOutcome::failed, 0ms);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->error, "HTTP 500; no retry: the daemon is shutting down");
  EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST(WebhookSender, GraceLetsQueuedDeliveriesFinish) {
  Receiver receiver;
  test::Reports reports;
  auto options = fast_options(reports);
  options.max_in_flight = 1;
  auto sender = make_sender(std::move(options));
  for (int i = 0; i < 5; ++i) {
    sender->enqueue(
        make_event("build.started", JobStatus::building, receiver.url(), "job-" + std::to_string(i)));
  }
  sender.reset();
  EXPECT_EQ(receiver.requests().size(), 5u);
  EXPECT_EQ(reports.all().size(), 5u);
}

TEST(WebhookSender, RejectsBadOptions) {
  WebhookSenderOptions options;
  options.queue_capacity = 0;
  EXPECT_EQ(WebhookSender::create(options).error().kind, ErrorKind::invalid_argument);
  options = {};
  options.retry.max_attempts = 0;
  EXPECT_EQ(WebhookSender::create(options).error().message,
            "webhooks: retry.max_attempts must be at least 1");
  options = {};
  options.tls.ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(WebhookSender::create(options));
}

}  // namespace
}  // namespace nbs::mcpd
