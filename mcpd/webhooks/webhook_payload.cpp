#include "mcpd/webhooks/webhook_payload.hpp"

#include <boost/json.hpp>

namespace nbs::mcpd {

namespace json = boost::json;

WebhookEventKind webhook_event_kind(const JobEvent& event) {
  switch (event.record.status) {
    case JobStatus::succeeded:
      return WebhookEventKind::success;
    case JobStatus::failed:
    case JobStatus::killed:
      return WebhookEventKind::failure;
    default:
      return WebhookEventKind::progress;
  }
}

bool wants_webhook(const JobEvent& event) {
  const JobRequest& request = event.record.request;
  if (request.webhook_url.empty()) {
    return false;
  }
  switch (webhook_event_kind(event)) {
    case WebhookEventKind::success:
      return request.webhook_on_success;
    case WebhookEventKind::failure:
      return request.webhook_on_failure;
    case WebhookEventKind::progress:
      break;
  }
  return true;
}

namespace {

json::object phase_times(const PhaseTimes& t) {
  json::object out;
  auto put = [&out](std::string_view key, const std::optional<SystemTime>& value) {
    if (value) {
      out[key] = format_utc(*value);
    }
  };
  put("job_start", t.job_start);
  put("build_start", t.build_start);
  put("build_end", t.build_end);
  put("test_start", t.test_start);
  put("test_end", t.test_end);
  put("publish_start", t.publish_start);
  put("publish_end", t.publish_end);
  put("job_end", t.job_end);
  return out;
}

json::value phase_or_null(const std::optional<Phase>& phase) {
  return phase ? json::value(to_string(*phase)) : json::value(nullptr);
}

}  // namespace

std::string webhook_body(const JobEvent& event, std::string_view delivery_id, SystemTime sent_at) {
  const JobRecord& r = event.record;
  const ImageTarget image = image_target(r.request);
  json::object o;
  o["event"] = event.name;
  o["delivery_id"] = delivery_id;
  o["timestamp"] = format_utc(sent_at);
  o["job_id"] = r.id;
  o["status"] = to_string(r.status);
  o["owner"] = r.request.owner;
  o["phase"] = phase_or_null(r.active_phase);
  o["repo_url"] = r.request.repo_url;
  o["git_ref"] = r.request.git_ref;
  if (!r.commit.empty()) {
    o["commit"] = r.commit;
  }
  o["image"] = image.registry + "/" + image.repository;
  o["times"] = phase_times(r.times);
  if (r.times.job_start && r.times.job_end) {
    o["duration_ms"] = (*r.times.job_end - *r.times.job_start).count();
  }
  switch (webhook_event_kind(event)) {
    case WebhookEventKind::success:
      o["images"] = json::array(r.images.begin(), r.images.end());
      o["digest"] = r.digest;
      o["image_size"] = r.image_size;
      break;
    case WebhookEventKind::failure:
      o["failed_phase"] = phase_or_null(r.failed_phase);
      o["error"] = r.error;
      o["excerpt"] = json::array(r.excerpt.begin(), r.excerpt.end());
      break;
    case WebhookEventKind::progress:
      if (!r.digest.empty()) {
        o["digest"] = r.digest;  // known once the build pushed its temporary image
      }
      break;
  }
  return json::serialize(o);
}

}  // namespace nbs::mcpd
