// getHistory: finished jobs, newest first, optionally one owner's, with paging.
#include "common/grammar.hpp"
#include "mcpd/tools/job_tools.hpp"
#include "mcpd/tools/tool_support.hpp"

namespace nbs::mcpd::tools {

namespace json = boost::json;

namespace {

Result<ToolResult> get_history_call(Orchestrator& o, const json::object& args, ToolContext& ctx) {
  std::vector<FieldError> errors;
  auto number = [&](std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max) {
    const json::value* v = args.if_contains(key);
    if (v == nullptr) {
      return fallback;
    }
    if (!(v->is_int64() || v->is_uint64()) || v->to_number<std::int64_t>() < min ||
        v->to_number<std::int64_t>() > max) {
      errors.push_back({std::string(key),
                        "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max)});
      return fallback;
    }
    return v->to_number<std::int64_t>();
  };
  const auto limit = number("limit", 10, 1, 100);
  const auto offset = number("offset", 0, 0, 1'000'000);
  std::string owner;
  if (const json::value* v = args.if_contains("owner")) {
    if (!v->is_string()) {
      errors.push_back({"owner", "must be a string"});
    } else if (auto reason = grammar::owner(v->get_string())) {
      errors.push_back({"owner", *reason});  // the grammar submitJob holds owners to
    } else {
      owner = std::string(v->get_string());
    }
  }
  if (!errors.empty()) {
    return make_field_errors(std::move(errors));
  }
  auto page =
      o.history(owner, static_cast<std::size_t>(limit), static_cast<std::size_t>(offset), ctx.principal());
  if (!page) {
    return page.error();
  }
  json::array jobs;
  for (const auto& r : page->jobs) {
    json::object j{{"job_id", r.id},
                   {"status", to_string(r.status)},
                   {"owner", r.request.owner},
                   {"repo_url", r.request.repo_url},
                   {"git_ref", r.request.git_ref},
                   {"image", image_target(r.request).reference(r.id)},
                   {"job_start", time_or_null(r.times.job_start)},
                   {"job_end", time_or_null(r.times.job_end)}};
    if (!r.digest.empty()) {
      j["digest"] = r.digest;
    }
    if (!r.error.empty()) {
      j["error"] = r.error;
    }
    jobs.push_back(std::move(j));
  }
  json::object out{{"jobs", std::move(jobs)}, {"total", page->total}};
  return ToolResult{json::value(std::move(out)), {}, {}};
}

}  // namespace

Tool get_history_tool(Orchestrator& o) {
  Tool t;
  t.name = "getHistory";
  t.description = "Finished jobs, newest first, optionally one owner's, paged by limit and offset.";
  set_input_schema(t, {{"type", "object"},
                       {"properties",
                        {{"owner", {{"type", "string"}}},
                         {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}, {"default", 10}}},
                         {"offset", {{"type", "integer"}, {"minimum", 0}, {"default", 0}}}}},
                       {"additionalProperties", false}});
  t.output_schema = {{"type", "object"},
                     {"properties", {{"jobs", {{"type", "array"}}}, {"total", {{"type", "integer"}}}}},
                     {"required", json::array{"jobs", "total"}}};
  t.annotations = {
      .read_only_hint = true, .destructive_hint = false, .idempotent_hint = true, .open_world_hint = false};
  t.handler = with_declared_arguments(t.input_schema, sync_handler(o, get_history_call));
  return t;
}

}  // namespace nbs::mcpd::tools
