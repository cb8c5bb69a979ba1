// Delivers job events to the webhook URL of their job. enqueue() only filters, builds and signs the
// body, and queues it, so the orchestrator's watch thread never waits for a receiver: a private thread
// runs the deliveries (an io_context with the project's HTTP client), retries transient failures with
// capped backoff, and refuses targets inside the daemon's network (target_guard.hpp). See README.md for
// the events, the payload and how a receiver verifies the signature.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "common/http_client.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"
#include "mcpd/webhooks/retry_policy.hpp"
#include "mcpd/webhooks/target_guard.hpp"

namespace nbs::mcpd {

// Totals since the sender started. The outcomes are disjoint: every queued delivery ends in exactly one
// of sent, failed, refused and dropped (once it ends).
struct WebhookCounters {
  std::uint64_t queued = 0;     // accepted by enqueue()
  std::uint64_t sent = 0;       // a 2xx answer
  std::uint64_t failed = 0;     // a final non-2xx answer, attempts used up, or given up at shutdown
  std::uint64_t refused = 0;    // the target is a private address (or the URL is unusable): nothing was sent
  std::uint64_t dropped = 0;    // pushed out of a full queue, or still queued when the grace ran out
  std::uint64_t retried = 0;    // attempts after the first
  std::uint64_t pending = 0;    // now: queued, not started
  std::uint64_t in_flight = 0;  // now: started, not finished (waiting for a retry included)
};

enum class WebhookOutcome { sent, failed, refused, dropped, retrying };
std::string_view to_string(WebhookOutcome outcome);

// One step of one delivery, for logs, metrics and tests.
struct WebhookReport {
  WebhookOutcome outcome = WebhookOutcome::sent;
  std::string delivery_id;
  std::string event;
  std::string job_id;
  int attempts = 0;     // made so far
  int http_status = 0;  // of the last attempt; 0 without an answer
  std::string error;    // why it failed, was refused or dropped, or is retried
};

struct WebhookSenderOptions {
  std::size_t queue_capacity = 1024;  // deliveries waiting to start; a full queue drops its oldest
  std::size_t max_in_flight = 8;      // deliveries running at once (a retry wait included)
  // One attempt, from connecting (TLS handshake included) to the end of the answer, must finish within
  // this; DNS is left to the system resolver's own timeouts.
  std::chrono::milliseconds attempt_timeout{std::chrono::seconds(10)};
  WebhookRetryPolicy retry;
  // The destructor lets running and queued deliveries finish for this long, then abandons them.
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(5)};
  PrivateTargets private_targets = PrivateTargets::refuse;
  TlsOptions tls;          // trust for https receivers; server_name is set per receiver
  std::string user_agent;  // empty: "nbs-mcpd/<version>"
  // The answer is only logged; a larger one fails the attempt.
  std::size_t max_response_body = std::size_t{64} * 1024;
  // Called for every report: on the sender's thread, and for drops and abandoned deliveries on the
  // thread of enqueue() or of the destructor, so possibly from two threads at once. It must be
  // thread-safe, return quickly and not call back into the sender.
  std::function<void(const WebhookReport&)> on_report;
};

class WebhookSender {
 public:
  // Fails (invalid_argument) on an option out of range or a TLS file that cannot be loaded.
  static Result<std::unique_ptr<WebhookSender>> create(WebhookSenderOptions options = {});

  // Waits up to shutdown_grace for queued and running deliveries (a retry's wait is cut short), then
  // abandons the rest and returns. Only a DNS lookup in progress can hold it longer (the system
  // resolver cannot be interrupted).
  ~WebhookSender();  // NOLINT(bugprone-exception-escape): see the definition
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Queues a delivery when the event's job wants it (webhook_payload.hpp: wants_webhook). Never blocks
  // on the network; safe from any thread. After the destructor has begun, events are dropped.
  void enqueue(const JobEvent& event);

  // enqueue() as the orchestrator's EventSink; the sender must outlive the orchestrator.
  Orchestrator::EventSink sink();

  WebhookCounters counters() const;

  struct Impl;

 private:
  explicit WebhookSender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "nbs-mcpd/<version>".
std::string default_webhook_user_agent();

}  // namespace nbs::mcpd
