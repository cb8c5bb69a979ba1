#include "mcpd/orchestrator/job_record.hpp"

#include <boost/json.hpp>

#include "common/digest.hpp"
#include "common/job_request_parser.hpp"

namespace nbs::mcpd {

namespace json = boost::json;

std::string_view to_string(JobStatus status) {
  switch (status) {
    case JobStatus::pending:
      return "PENDING";
    case JobStatus::building:
      return "BUILDING";
    case JobStatus::testing:
      return "TESTING";
    case JobStatus::publishing:
      return "PUBLISHING";
    case JobStatus::succeeded:
      return "SUCCEEDED";
    case JobStatus::failed:
      return "FAILED";
    case JobStatus::killed:
      return "KILLED";
  }
  return "PENDING";
}

std::optional<JobStatus> parse_job_status(std::string_view text) {
  for (auto s : {JobStatus::pending, JobStatus::building, JobStatus::testing, JobStatus::publishing,
                 JobStatus::succeeded, JobStatus::failed, JobStatus::killed}) {
    if (to_string(s) == text) {
      return s;
    }
  }
  return std::nullopt;
}

bool is_terminal(JobStatus status) {
  return status == JobStatus::succeeded || status == JobStatus::failed || status == JobStatus::killed;
}

std::optional<SystemTime>& PhaseTimes::start_of(Phase phase) {
  switch (phase) {
    case Phase::build:
      return build_start;
    case Phase::test:
      return test_start;
    case Phase::publish:
    case Phase::cleanup:
      break;
  }
  return publish_start;
}

std::optional<SystemTime>& PhaseTimes::end_of(Phase phase) {
  switch (phase) {
    case Phase::build:
      return build_end;
    case Phase::test:
      return test_end;
    case Phase::publish:
    case Phase::cleanup:
      break;
  }
  return publish_end;
}

namespace {

struct TimeField {
  const char* name;
  std::optional<SystemTime> PhaseTimes::*member;
};
constexpr TimeField k_time_fields[] = {
    {"job_start", &PhaseTimes::job_start},     {"build_start", &PhaseTimes::build_start},
    {"build_end", &PhaseTimes::build_end},     {"test_start", &PhaseTimes::test_start},
    {"test_end", &PhaseTimes::test_end},       {"publish_start", &PhaseTimes::publish_start},
    {"publish_end", &PhaseTimes::publish_end}, {"job_end", &PhaseTimes::job_end},
};

std::string string_or(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<Phase> phase_or(const json::object& o, std::string_view key) {
  const std::string text = string_or(o, key);
  return text.empty() ? std::nullopt : parse_phase(text);
}

}  // namespace

json::object to_json(const JobRecord& r) {
  json::object times;
  for (const auto& f : k_time_fields) {
    if (r.times.*f.member) {
      times[f.name] = format_utc(*(r.times.*f.member));
    }
  }
  json::object o{{"id", r.id},
                 {"request", to_json(r.request)},
                 {"status", to_string(r.status)},
                 {"attempt", r.attempt},
                 {"times", std::move(times)},
                 {"kill_requested", r.kill_requested},
                 {"temp_cleaned", r.temp_cleaned},
                 {"settled", r.settled},
                 {"image_size", r.image_size}};
  auto put = [&](const char* key, const std::string& value) {
    if (!value.empty()) {
      o[key] = value;
    }
  };
  if (r.active_phase) {
    o["active_phase"] = to_string(*r.active_phase);
  }
  if (r.failed_phase) {
    o["failed_phase"] = to_string(*r.failed_phase);
  }
  if (r.cleanup_for) {
    o["cleanup_for"] = to_string(*r.cleanup_for);
  }
  put("waiting_reason", r.waiting_reason);
  put("error", r.error);
  put("digest", r.digest);
  put("commit", r.commit);
  put("cleanup_error", r.cleanup_error);
  put("token_id", r.token_id);
  if (!r.excerpt.empty()) {
    o["excerpt"] = json::array(r.excerpt.begin(), r.excerpt.end());
  }
  if (!r.images.empty()) {
    o["images"] = json::array(r.images.begin(), r.images.end());
  }
  if (!r.signed_images.empty()) {
    o["signed_images"] = json::array(r.signed_images.begin(), r.signed_images.end());
  }
  if (!r.platform_digests.empty()) {
    o["platforms"] = platform_digests_json(r.platform_digests);
  }
  if (r.failure) {
    o["failure"] = to_json(*r.failure);
  }
  return o;
}

json::object platform_digests_json(const std::map<std::string, std::string>& digests) {
  json::object out;
  for (const auto& [platform, digest] : digests) {
    out[platform] = digest;
  }
  return out;
}

std::map<std::string, std::string> parse_platform_digests(const json::value* value) {
  std::map<std::string, std::string> out;
  if (value != nullptr && value->is_object()) {
    for (const auto& [platform, digest] : value->get_object()) {
      if (digest.is_string()) {
        out[std::string(platform)] = std::string(digest.get_string());
      }
    }
  }
  return out;
}

Result<JobRecord> parse_job_record(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return make_error(ErrorKind::internal, "job record: not a JSON object");
  }
  const json::object& o = v.get_object();
  JobRecord r;
  r.id = string_or(o, "id");
  const json::value* request = o.if_contains("request");
  if (request == nullptr) {
    return make_error(ErrorKind::internal, "job record " + r.id + ": no request");
  }
  auto parsed = parse_job_request(*request);
  if (!parsed) {
    return make_error(ErrorKind::internal,
                      "job record " + r.id + ": stored request is invalid: " + parsed.error().message);
  }
  r.request = std::move(*parsed);
  auto status = parse_job_status(string_or(o, "status"));
  if (!status) {
    return make_error(ErrorKind::internal, "job record " + r.id + ": unknown status");
  }
  r.status = *status;
  r.active_phase = phase_or(o, "active_phase");
  r.failed_phase = phase_or(o, "failed_phase");
  r.cleanup_for = phase_or(o, "cleanup_for");
  if (const auto* a = o.if_contains("attempt"); a && a->is_int64()) {
    r.attempt = static_cast<int>(a->get_int64());
  }
  if (const auto* t = o.if_contains("times"); t && t->is_object()) {
    for (const auto& f : k_time_fields) {
      r.times.*f.member = parse_utc(string_or(t->get_object(), f.name));
    }
  }
  r.waiting_reason = string_or(o, "waiting_reason");
  r.error = string_or(o, "error");
  r.digest = string_or(o, "digest");
  r.commit = string_or(o, "commit");
  r.cleanup_error = string_or(o, "cleanup_error");
  r.token_id = string_or(o, "token_id");
  if (const auto* s = o.if_contains("image_size"); s && (s->is_uint64() || s->is_int64())) {
    r.image_size = s->to_number<std::uint64_t>();
  }
  r.platform_digests = parse_platform_digests(o.if_contains("platforms"));
  for (auto [key, member] :
       {std::pair{"kill_requested", &JobRecord::kill_requested},
        std::pair{"temp_cleaned", &JobRecord::temp_cleaned}, std::pair{"settled", &JobRecord::settled}}) {
    if (const auto* b = o.if_contains(key); b && b->is_bool()) {
      r.*member = b->get_bool();
    }
  }
  for (auto [key, member] :
       {std::pair{"excerpt", &JobRecord::excerpt}, std::pair{"images", &JobRecord::images},
        std::pair{"signed_images", &JobRecord::signed_images}}) {
    if (const auto* a = o.if_contains(key); a && a->is_array()) {
      for (const auto& line : a->get_array()) {
        if (line.is_string()) {
          (r.*member).emplace_back(line.get_string());
        }
      }
    }
  }
  if (const auto* f = o.if_contains("failure"); f && f->is_object()) {
    r.failure = parse_failure(f->get_object());
  }
  return r;
}

std::string record_key(std::string_view job_id) {
  return "jobs/" + std::string(job_id);
}

std::string lock_key(const JobRequest& request) {
  // One build at a time per registry, image and branch. Hashed: the parts may hold ':' and '/'.
  const ImageTarget target = image_target(request);
  const std::string identity = target.registry + "/" + target.repository + "@" + request.git_ref;
  return "locks/" + sha256_hex(identity).substr(0, 32);
}

}  // namespace nbs::mcpd
