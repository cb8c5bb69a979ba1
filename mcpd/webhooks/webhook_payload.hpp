// What a webhook says: which job events go out for a request, and the JSON body of one delivery.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"

namespace nbs::mcpd {

// What an event reports about the job's outcome, read from the record's status at the event.
enum class WebhookEventKind {
  progress,  // a phase started or completed and the job goes on
  success,   // SUCCEEDED: job.completed and the <phase>.completed sent with it
  failure,   // FAILED (job.failed, <phase>.failed) or KILLED (job.killed)
};

WebhookEventKind webhook_event_kind(const JobEvent& event);

// True when the job has a webhook_url and the event passes its flags: success events need
// webhook_on_success, failure and kill events need webhook_on_failure, progress events always go (as
// in the old service, whose flags only gated the final notification).
bool wants_webhook(const JobEvent& event);

// The body of one delivery, compact JSON. `sent_at` and `delivery_id` sit inside the signed body, so
// a receiver can reject replays by age and by id. Never carries the secret or the custom headers.
std::string webhook_body(const JobEvent& event, std::string_view delivery_id, SystemTime sent_at);

}  // namespace nbs::mcpd
