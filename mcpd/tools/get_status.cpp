// getStatus: a job's status, phase, times and what to do next; with wait_seconds, a long poll that
// sends progress notifications.
#include "mcpd/tools/job_tools.hpp"
#include "mcpd/tools/test_reports.hpp"
#include "mcpd/tools/tool_support.hpp"

namespace nbs::mcpd {

namespace json = boost::json;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace tools {
namespace {

constexpr int k_max_wait_seconds = 45;

json::object times_json(const PhaseTimes& t) {
  return {{"job_start", time_or_null(t.job_start)},     {"build_start", time_or_null(t.build_start)},
          {"build_end", time_or_null(t.build_end)},     {"test_start", time_or_null(t.test_start)},
          {"test_end", time_or_null(t.test_end)},       {"publish_start", time_or_null(t.publish_start)},
          {"publish_end", time_or_null(t.publish_end)}, {"job_end", time_or_null(t.job_end)}};
}

json::object progress_json(Orchestrator& orchestrator, const JobRecord& r) {
  auto step = orchestrator.build_progress(r);
  if (!step) {
    return {};
  }
  json::object out{
      {"step", step->step}, {"steps", step->steps}, {"text", step->text}, {"instruction", step->instruction}};
  if (!step->stage.empty()) {
    out["stage"] = step->stage;
  }
  return out;
}

Result<ToolResult> status_result(Orchestrator& orchestrator, const JobRecord& r) {
  json::object out = status_json(r);
  if (auto progress = progress_json(orchestrator, r); !progress.empty()) {
    out["progress"] = std::move(progress);
  }
  if (may_have_reports(r)) {
    if (auto files = orchestrator.executor().reports(test_phase_of(r)); files && !files->empty()) {
      out["reports"] = reports_summary_json(*files);
    }
  }
  std::string text = "Job " + r.id + ": " + std::string(to_string(r.status));
  if (!r.error.empty()) {
    text += " — " + r.error;
  }
  text += "\n" + json::serialize(out);
  return ToolResult{json::value(std::move(out)), std::move(text), {}};
}

struct StatusRequest {
  std::string job_id;
  int wait_seconds = 0;
};

Result<StatusRequest> parse_status_request(const json::object& args) {
  auto id = required_string(args, "job_id");
  if (!id) {
    return id.error();
  }
  StatusRequest request{*id};
  if (const json::value* w = args.if_contains("wait_seconds")) {
    if (!(w->is_int64() || w->is_uint64()) || w->to_number<std::int64_t>() < 0 ||
        w->to_number<std::int64_t>() > k_max_wait_seconds) {
      return make_field_errors({{"wait_seconds", "must be a whole number from 0 to 45"}});
    }
    request.wait_seconds = static_cast<int>(w->to_number<std::int64_t>());
  }
  return request;
}

// "BUILDING: STEP 3/7 RUN make", or the status with why it waits.
std::string progress_message(Orchestrator& o, const JobRecord& record) {
  std::string message(to_string(record.status));
  json::object p = progress_json(o, record);
  if (!p.empty()) {
    message += ": STEP " + std::to_string(p["step"].as_int64()) + "/" +
               std::to_string(p["steps"].as_int64()) + " " + std::string(p["text"].as_string());
  } else if (!record.waiting_reason.empty()) {
    message += ": " + record.waiting_reason;
  }
  return message;
}

bool same_stage(const JobRecord& a, const JobRecord& b) {
  return a.status == b.status && a.active_phase == b.active_phase;
}

// Long-polls (wait_seconds) with progress notifications. It wakes when
// the orchestrator writes the job's record, and once a second for new Buildah steps (they are in the
// log, not the record) and for writes by another replica; it ends early when the client cancels or
// disconnects (the build itself is never cancelled by this).
asio::awaitable<Result<ToolResult>> get_status_call(Orchestrator& o, const json::object& args,
                                                    ToolContext& ctx) {
  auto request = parse_status_request(args);
  if (!request) {
    co_return request.error();
  }
  std::uint64_t changes = o.changes();
  auto record = o.get(request->job_id, ctx.principal());
  if (!record) {
    co_return record.error();
  }
  const JobRecord first = *record;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(request->wait_seconds);
  // A caller without a progress token (REST, the nbs CLI) sees progress by the answer itself: a new
  // Buildah step also ends its wait.
  const std::string first_message = request->wait_seconds > 0 ? progress_message(o, *record) : "";
  std::string last_message;
  double progress = 0;
  while (same_stage(*record, first) && !is_terminal(record->status)) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      break;
    }
    std::string message = progress_message(o, *record);
    if (ctx.has_progress_token()) {
      if (message != last_message) {
        ctx.report_progress(++progress, std::nullopt, message);
        last_message = message;
      }
    } else if (message != first_message) {
      break;
    }
    if (!co_await ctx.wait_for(std::min<std::chrono::steady_clock::duration>(deadline - now, 1s),
                               record_writes(o, request->job_id, changes))) {
      break;
    }
    changes = o.changes();
    record = o.get(request->job_id, ctx.principal());
    if (!record) {
      co_return record.error();
    }
  }
  co_return status_result(o, *record);
}

}  // namespace

Tool get_status_tool(Orchestrator& o) {
  Tool t;
  t.name = "getStatus";
  t.description =
      "A job's status, phase, images, failure and next_step (what to do). Poll with wait_seconds=30 (it "
      "answers at a change), never sleep.";
  json::object input = job_id_schema();
  input["properties"].as_object()["wait_seconds"] = {
      {"type", "integer"}, {"minimum", 0}, {"maximum", k_max_wait_seconds}, {"default", 0}};
  set_input_schema(t, std::move(input));
  // What every answer has; the rest of status_json() (failure, images, ...) is in the text block beside
  // it and in docs/agent-guide.md, not in every tools/list.
  t.output_schema = {{"type", "object"},
                     {"properties",
                      {{"job_id", {{"type", "string"}}},
                       {"status", {{"type", "string"}}},
                       {"phase", {{"type", {"string", "null"}}}},
                       {"next_step", {{"type", "string"}}}}},
                     {"required", json::array{"job_id", "status", "phase", "next_step"}}};
  t.annotations = {
      .read_only_hint = true, .destructive_hint = false, .idempotent_hint = true, .open_world_hint = false};
  t.handler = with_declared_arguments(t.input_schema, [&o](const json::object& args, ToolContext& ctx) {
    return get_status_call(o, args, ctx);
  });
  return t;
}

}  // namespace tools

json::object status_json(const JobRecord& r) {
  json::object out{{"job_id", r.id},
                   {"status", to_string(r.status)},
                   {"phase", r.active_phase ? json::value(to_string(*r.active_phase)) : json::value(nullptr)},
                   {"owner", r.request.owner},
                   {"git_ref", r.request.git_ref},
                   {"times", tools::times_json(r.times)},
                   {"next_step", tools::next_step(r)}};
  if (!r.waiting_reason.empty()) {
    out["waiting_reason"] = r.waiting_reason;
  }
  if (r.failed_phase) {
    out["failed_phase"] = to_string(*r.failed_phase);
  }
  if (!r.error.empty()) {
    out["error"] = r.error;
  }
  if (!r.excerpt.empty()) {
    out["excerpt"] = json::array(r.excerpt.begin(), r.excerpt.end());
  }
  if (r.failure) {
    out["failure"] = to_json(*r.failure);
  }
  if (!r.digest.empty()) {
    out["digest"] = r.digest;
    out["image_size"] = r.image_size;
  }
  if (!r.platform_digests.empty()) {
    out["platforms"] = platform_digests_json(r.platform_digests);
  }
  if (!r.commit.empty()) {
    out["commit"] = r.commit;
  }
  if (!r.images.empty()) {
    out["images"] = json::array(r.images.begin(), r.images.end());
  }
  if (!r.signed_images.empty()) {
    out["signed_images"] = json::array(r.signed_images.begin(), r.signed_images.end());
  }
  if (!r.cleanup_error.empty()) {
    out["cleanup_error"] = r.cleanup_error;
  }
  return out;
}

}  // namespace nbs::mcpd
