// Dispatch of parameterized jobs (ref §2.10): validation with Nomad's 500 texts, child job IDs
// "<parent>/dispatch-<unix>-<8 hex>", idempotency tokens, merged Meta and the base64 Payload.
#include <set>

#include "tests/nomad_sim/endpoint_util.hpp"
#include "tests/nomad_sim/scheduler.hpp"
#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

constexpr std::size_t k_max_payload = 16384;

// Go's %v of a []string: "[a b]".
std::string go_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : " ") + items[i];
  }
  return out + "]";
}

std::set<std::string> string_set(const json::object& obj, std::string_view key) {
  std::set<std::string> out;
  if (const json::array* a = array_field(obj, key)) {
    for (const auto& v : *a) {
      out.insert(as_text(v));
    }
  }
  return out;
}

// The 500 text for a dispatch the parent does not allow, or "".
std::string check_dispatch(const json::object& parent, const std::string& id, const std::string& payload,
                           const json::object& meta) {
  const json::object* param = object_field(parent, "ParameterizedJob");
  if (param == nullptr || bool_field(parent, "Dispatched")) {
    return "Specified job \"" + id + "\" is not a parameterized job";
  }
  if (bool_field(parent, "Stop")) {
    return "Specified job \"" + id + "\" is stopped";
  }
  if (payload.size() > k_max_payload) {
    return "Payload exceeds maximum size; " + std::to_string(payload.size()) + " > " +
           std::to_string(k_max_payload);
  }
  const std::string rule = string_field(*param, "Payload", "optional");
  if (rule == "required" && payload.empty()) {
    return "Payload is not provided but required by parameterized job";
  }
  if (rule == "forbidden" && !payload.empty()) {
    return "Payload provided but forbidden by parameterized job";
  }
  const auto required = string_set(*param, "MetaRequired");
  const auto optional = string_set(*param, "MetaOptional");
  std::vector<std::string> missing;
  for (const auto& k : required) {
    if (!meta.contains(k)) {
      missing.push_back(k);
    }
  }
  if (!missing.empty()) {
    return "Dispatch did not provide required meta keys: " + go_list(missing);
  }
  std::vector<std::string> unpermitted;
  for (const auto& [k, v] : meta) {
    if (required.count(std::string(k)) == 0 && optional.count(std::string(k)) == 0) {
      unpermitted.emplace_back(k);
    }
  }
  if (!unpermitted.empty()) {
    return "Dispatch request included unpermitted metadata keys: " + go_list(unpermitted);
  }
  return "";
}

}  // namespace

SimResponse Scheduler::dispatch_job(const SimRequest& req, const std::string& parent_id) {
  json::object body;
  if (!req.body.empty()) {
    auto parsed = parse_body(req.body);
    if (!parsed) {
      return text_error(400, parsed.error().message);
    }
    body = std::move(*parsed);
  }
  const auto payload = base64_decode(string_field(body, "Payload"));
  if (!payload) {
    return text_error(400, "illegal base64 data in Payload");
  }
  const json::object* meta_in = object_field(body, "Meta");
  const json::object meta = meta_in != nullptr ? *meta_in : json::object{};
  const std::string token = req.param("idempotency_token");
  const std::string prefix = string_field(body, "IdPrefixTemplate");
  const NsKey parent_key{request_namespace(req), parent_id};
  const bool forced_failure = faults_.take_placement_failure();
  struct Outcome {
    SimResponse response;
    PlacementResult placement;
  };
  Outcome out = state_.write([&](Tables& t) -> Outcome {
    const auto parent = t.jobs.find(parent_key);
    if (parent == t.jobs.end()) {
      return {text_error(500, "parameterized job not found"), {}};
    }
    if (const std::string err = check_dispatch(parent->second.job, parent_id, *payload, meta); !err.empty()) {
      return {text_error(500, err), {}};
    }
    for (const auto& [key, rec] : t.jobs) {
      if (!token.empty() && string_field(rec.job, "ParentID") == parent_id &&
          string_field(rec.job, "DispatchIdempotencyToken") == token) {
        SimResponse same =
            json_reply(json::serialize(json::object{{"DispatchedJobID", key.second},
                                                    {"EvalID", ""},
                                                    {"EvalCreateIndex", 0},
                                                    {"JobCreateIndex", int_field(rec.job, "CreateIndex")},
                                                    {"Index", t.index}}));
        same.write_index = t.index;
        return {std::move(same), {}};
      }
    }
    json::object child = parent->second.job;
    const std::string suffix = std::to_string(now_ns() / 1'000'000'000) + "-" + new_uuid().substr(0, 8);
    const std::string child_id = parent_id + "/dispatch-" + (prefix.empty() ? "" : prefix + "-") + suffix;
    child["ID"] = child_id;
    child["Name"] = child_id;
    json::object merged =
        object_field(child, "Meta") != nullptr ? *object_field(child, "Meta") : json::object{};
    for (const auto& [k, v] : meta) {
      merged[k] = v;
    }
    child["Meta"] = merged.empty() ? json::value(nullptr) : json::value(std::move(merged));
    if (const auto priority = int_field(body, "Priority"); priority > 0) {
      child["Priority"] = priority;
    }
    const json::object server{
        {"ParentID", parent_id},
        {"Dispatched", true},
        {"DispatchIdempotencyToken", token},
        {"Payload", payload->empty() ? json::value(nullptr) : json::value(base64_encode(*payload))}};
    Committed c =
        commit_job(t, config_, {parent_key.first, child_id}, std::move(child), server, forced_failure);
    SimResponse r = json_reply(json::serialize(json::object{{"DispatchedJobID", child_id},
                                                            {"EvalID", c.eval_id},
                                                            {"EvalCreateIndex", c.eval_index},
                                                            {"JobCreateIndex", c.job_create_index},
                                                            {"Index", c.index}}));
    r.write_index = c.index;
    return {std::move(r), std::move(c.placement)};
  });
  start_runners(out.placement.placed);
  return std::move(out.response);
}

}  // namespace nbs::nomad_sim
