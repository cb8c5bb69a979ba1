#include "mcpd/tools/job_tools.hpp"

#include <boost/json.hpp>

#include "common/grammar.hpp"
#include "common/job_request_parser.hpp"
#include "common/phase_log.hpp"
#include "mcpd/orchestrator/log_query.hpp"
#include "mcpd/orchestrator/log_search_pool.hpp"

// GCC reports a false -Wmismatched-new-delete for an Asio awaitable frame when it inlines the frame's
// allocation and its release into one function (GCC PR 109224). Which coroutine it inlines changes
// with any edit anywhere in this file, so the warning is off for the file, not around one function.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace nbs::mcpd {

namespace json = boost::json;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr int k_max_wait_seconds = 45;

json::object string_property(std::string_view description) {
  return {{"type", "string"}, {"description", description}};
}

json::object job_id_schema() {
  return {{"type", "object"},
          {"properties", {{"job_id", string_property("The job id submitJob returned (a UUID).")}}},
          {"required", json::array{"job_id"}},
          {"additionalProperties", false}};
}

// Reads a string argument; errors name it.
Result<std::string> required_string(const json::object& args, std::string_view key) {
  const json::value* v = args.if_contains(key);
  if (v == nullptr || !v->is_string() || v->get_string().empty()) {
    return make_field_errors(
        {{std::string(key), v == nullptr ? "is required" : "must be a non-empty string"}});
  }
  return std::string(v->get_string());
}

// Arguments must be exactly the declared ones: a typo is an error, not a silent default.
Status known_arguments(const json::object& args, std::initializer_list<std::string_view> known) {
  std::vector<FieldError> errors;
  for (const auto& kv : args) {
    if (std::find(known.begin(), known.end(), kv.key()) == known.end()) {
      errors.push_back({std::string(kv.key()), "unknown argument"});
    }
  }
  if (!errors.empty()) {
    return make_field_errors(std::move(errors));
  }
  return {};
}

// The argument of the tools that take only a job id.
Result<std::string> job_id_argument(const json::object& args) {
  if (auto known = known_arguments(args, {"job_id"}); !known) {
    return known.error();
  }
  return required_string(args, "job_id");
}

json::value time_or_null(const std::optional<SystemTime>& t) {
  return t ? json::value(format_utc(*t)) : nullptr;
}

json::object times_json(const PhaseTimes& t) {
  return {{"job_start", time_or_null(t.job_start)},     {"build_start", time_or_null(t.build_start)},
          {"build_end", time_or_null(t.build_end)},     {"test_start", time_or_null(t.test_start)},
          {"test_end", time_or_null(t.test_end)},       {"publish_start", time_or_null(t.publish_start)},
          {"publish_end", time_or_null(t.publish_end)}, {"job_end", time_or_null(t.job_end)}};
}

// What the agent should do next, in one sentence.
std::string next_step(const JobRecord& r) {
  switch (r.status) {
    case JobStatus::pending:
    case JobStatus::building:
    case JobStatus::testing:
    case JobStatus::publishing:
      return "Call getStatus again with wait_seconds=30 until the status is SUCCEEDED, FAILED or KILLED.";
    case JobStatus::succeeded:
      return "Done: the image is published under every reference in images.";
    case JobStatus::failed:
      if (r.failure) {
        return next_step_for(*r.failure);
      }
      return "Read excerpt (or getLogs with phase=" +
             std::string(to_string(r.failed_phase.value_or(Phase::build))) +
             "), fix the cause in the repository or the job config, and submit again.";
    case JobStatus::killed:
      return "The job was killed; submit it again if you still need the image.";
  }
  return "";
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
  std::string text = "Job " + r.id + ": " + std::string(to_string(r.status));
  if (!r.error.empty()) {
    text += " — " + r.error;
  }
  text += "\n" + json::serialize(out);
  return ToolResult{json::value(std::move(out)), std::move(text), {}};
}

// What cleanup and purgeFailedJob answer: cleanup_json().
json::object cleanup_output_schema() {
  return {
      {"type", "object"},
      {"properties",
       {{"removed", {{"type", "array"}}}, {"jobs", {{"type", "array"}}}, {"failed", {{"type", "array"}}}}},
      {"required", json::array{"removed", "jobs"}}};
}

json::object cleanup_json(const Orchestrator::CleanupReport& report) {
  return {{"removed", json::array(report.removed.begin(), report.removed.end())},
          {"failed", json::array(report.failed.begin(), report.failed.end())},
          {"jobs", json::array(report.jobs.begin(), report.jobs.end())}};
}

Result<ToolResult> submit_job_call(Orchestrator& o, const json::object& args, ToolContext& ctx) {
  auto record = o.submit(json::value(args), ctx.principal());
  if (!record) {
    return record.error();
  }
  json::object out{
      {"job_id", record->id}, {"status", to_string(record->status)}, {"next_step", next_step(*record)}};
  std::string text = "Submitted job " + record->id + ". " + next_step(*record);
  return ToolResult{json::value(std::move(out)), std::move(text), {}};
}

struct StatusRequest {
  std::string job_id;
  int wait_seconds = 0;
};

Result<StatusRequest> parse_status_request(const json::object& args) {
  if (auto known = known_arguments(args, {"job_id", "wait_seconds"}); !known) {
    return known.error();
  }
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

// Lets ctx.wait_for end when the orchestrator next writes the job's record (or at once if it has
// since `changes`).
ToolContext::Subscribe record_writes(Orchestrator& o, const std::string& job_id, std::uint64_t changes) {
  return [&o, job_id, changes](ToolContext::Waker wake) -> std::function<void()> {
    const auto handle = o.notify_on_change(job_id, changes, std::move(wake));
    return [&o, handle] { o.cancel_notification(handle); };
  };
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

// A getLogs call once its arguments are checked: which phase attempt to read, and how.
struct LogsRequest {
  jobs::PhaseId phase;
  LogQuery query;
};

Result<LogsRequest> parse_logs_request(Orchestrator& o, const json::object& args, ToolContext& ctx) {
  if (auto known = known_arguments(args, {"job_id", "phase", "task", "stream", "mode", "tail_lines", "cursor",
                                          "limit_lines", "pattern", "context_lines", "max_bytes"});
      !known) {
    return known.error();
  }
  auto id = required_string(args, "job_id");
  if (!id) {
    return id.error();
  }
  auto record = o.get(*id, ctx.principal());
  if (!record) {
    return record.error();
  }
  const Phase default_phase = record->failed_phase.value_or(record->active_phase.value_or(Phase::build));
  auto query = parse_log_query(args, default_phase);
  if (!query) {
    return query.error();
  }
  const int attempt = query->phase == record->active_phase ? record->attempt : 1;
  return LogsRequest{{record->id, query->phase, attempt}, std::move(*query)};
}

// The answer, and its text: the lines, then why the page ended early if it did.
Result<ToolResult> logs_result(const LogsRequest& request, const Result<LogPage>& page,
                               std::chrono::milliseconds search_time_limit) {
  if (!page) {
    return page.error();
  }
  json::object out{
      {"job_id", request.phase.job_id},
      {"phase", to_string(request.phase.phase)},
      {"lines", json::array(page->lines.begin(), page->lines.end())},
      {"next_cursor", page->next_cursor},
      {"total_lines", page->total_lines ? json::value(*page->total_lines) : json::value(nullptr)},
      {"truncated", page->truncated},
      {"tasks", json::array(page->tasks.begin(), page->tasks.end())}};
  std::string text;
  for (const auto& line : page->lines) {
    text += line + "\n";
  }
  if (page->stopped == SearchStop::deadline) {
    text += "[the search stopped at its " + std::to_string(search_time_limit.count() / 1000) +
            " s limit: continue with cursor " + page->next_cursor + "]\n";
  } else if (page->stopped == SearchStop::cancelled) {
    text += "[the search was cancelled: continue with cursor " + page->next_cursor + "]\n";
  } else if (page->truncated) {
    text += "[truncated: continue with cursor " + page->next_cursor + "]\n";
  }
  return ToolResult{json::value(std::move(out)), std::move(text), {}};
}

// Tail and range read bounded slices, at once. A grep runs on the search pool, beside the I/O threads,
// until its time limit or until the call is cancelled (the client went away, the daemon is stopping).
asio::awaitable<Result<ToolResult>> get_logs_call(Orchestrator& o, LogSearchPool& searches,
                                                  const json::object& args, ToolContext& ctx) {
  auto request = parse_logs_request(o, args, ctx);
  if (!request) {
    co_return request.error();
  }
  const auto time_limit = searches.limits().time_limit;
  if (request->query.mode != LogMode::grep) {
    co_return logs_result(*request, read_logs(o.executor(), request->phase, request->query), time_limit);
  }
  Result<LogPage> page =
      co_await searches.search(o.executor(), request->phase, request->query, ctx.stop_token());
  if (!page && page.error().kind == ErrorKind::unavailable) {
    ctx.set_retry_after(1s);
  }
  co_return logs_result(*request, page, time_limit);
}

// The pool is shared by every copy of the handler and stops with the last of them.
ToolHandler logs_handler(Orchestrator& o, std::shared_ptr<LogSearchPool> searches) {
  return [&o, searches](const json::object& args, ToolContext& ctx) {
    return get_logs_call(o, *searches, args, ctx);
  };
}

Result<ToolResult> kill_job_call(Orchestrator& o, const json::object& args, ToolContext& ctx) {
  auto id = job_id_argument(args);
  if (!id) {
    return id.error();
  }
  auto record = o.kill(*id, ctx.principal());
  if (!record) {
    return record.error();
  }
  json::object out{{"job_id", record->id},
                   {"status", to_string(record->status)},
                   {"kill_requested", record->kill_requested}};
  std::string text =
      is_terminal(record->status) && !record->kill_requested
          ? "Job " + record->id + " had already ended (" + std::string(to_string(record->status)) + ")."
          : "Stopping job " + record->id + "; getStatus will show KILLED.";
  return ToolResult{json::value(std::move(out)), std::move(text), {}};
}

Result<ToolResult> cleanup_call(Orchestrator& o, const json::object& args, ToolContext& ctx) {
  if (auto known = known_arguments(args, {"job_id", "all"}); !known) {
    return known.error();
  }
  const json::value* all = args.if_contains("all");
  if (all && !all->is_bool()) {
    return make_field_errors({{"all", "must be true or false"}});
  }
  Result<Orchestrator::CleanupReport> report = make_error(ErrorKind::internal, "");
  if (all && all->get_bool()) {
    if (args.contains("job_id")) {
      return make_field_errors({{"job_id", "give either job_id or all=true, not both"}});
    }
    report = o.cleanup_all();
  } else {
    auto id = required_string(args, "job_id");
    if (!id) {
      return id.error();
    }
    report = o.cleanup(*id, ctx.principal());
  }
  if (!report) {
    return report.error();
  }
  std::string text = report->removed.empty() ? "Nothing to remove." : "Removed:";
  for (const auto& what : report->removed) {
    text += " " + what;
  }
  for (const auto& why : report->failed) {
    text += "\nNot removed: " + why;
  }
  return ToolResult{json::value(cleanup_json(*report)), std::move(text), {}};
}

Result<ToolResult> get_history_call(Orchestrator& o, const json::object& args, ToolContext& ctx) {
  if (auto known = known_arguments(args, {"owner", "limit", "offset"}); !known) {
    return known.error();
  }
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

Result<ToolResult> purge_failed_job_call(Orchestrator& o, const json::object& args, ToolContext& ctx) {
  auto id = job_id_argument(args);
  if (!id) {
    return id.error();
  }
  auto record = o.get(*id, ctx.principal());
  if (!record) {
    return record.error();
  }
  if (record->status != JobStatus::failed && record->status != JobStatus::killed) {
    return make_error(
        ErrorKind::conflict,
        "job_id: " + *id + " is " + std::string(to_string(record->status)) + ", not FAILED or KILLED");
  }
  auto report = o.cleanup(*id, ctx.principal());
  if (!report) {
    return report.error();
  }
  return ToolResult{json::value(cleanup_json(*report)),
                    "Purged " + std::to_string(report->removed.size()) + " phase(s) of job " + *id + ".",
                    {}};
}

// The tools that answer at once: their work runs synchronously and the coroutine only hands it back.
// (Named coroutines rather than coroutine lambdas: GCC 12 reports a false mismatched-new-delete for
// Asio awaitable frames inlined into std::function.)
using SyncCall = Result<ToolResult> (*)(Orchestrator&, const json::object&, ToolContext&);

asio::awaitable<Result<ToolResult>> ready_result(Result<ToolResult> result) {
  co_return result;
}

template <SyncCall Call>
ToolHandler sync_handler(Orchestrator& o) {
  return [&o](const json::object& args, ToolContext& ctx) { return ready_result(Call(o, args, ctx)); };
}

// cleanup and purgeFailedJob act on settled jobs. A job that has just finished is still removing its
// temporary image for a moment: wait for that (up to a minute, without blocking a thread) instead of
// refusing what the caller was just told it may do.
template <SyncCall Call>
asio::awaitable<Result<ToolResult>> call_once_settled(Orchestrator& o, const json::object& args,
                                                      ToolContext& ctx) {
  if (const json::value* id = args.if_contains("job_id"); id && id->is_string()) {
    const std::string job_id(id->get_string());
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::uint64_t changes = o.changes();
      auto record = o.get(job_id, ctx.principal());
      if (!record || record->settled || !is_terminal(record->status)) {
        break;
      }
      const auto left = deadline - std::chrono::steady_clock::now();
      if (!co_await ctx.wait_for(std::min<std::chrono::steady_clock::duration>(left, 1s),
                                 record_writes(o, job_id, changes))) {
        break;
      }
    }
  }
  co_return Call(o, args, ctx);
}

template <SyncCall Call>
ToolHandler once_settled_handler(Orchestrator& o) {
  return [&o](const json::object& args, ToolContext& ctx) { return call_once_settled<Call>(o, args, ctx); };
}

Tool submit_job(Orchestrator& o) {
  Tool t;
  t.name = "submitJob";
  t.title = "Build, test and publish a container image";
  t.description =
      "Builds a Git ref into an image with rootless Buildah, tests it inside the image, publishes it. "
      "Answers a job_id at once; then call getStatus with wait_seconds=30 until SUCCEEDED, FAILED or "
      "KILLED. Limits and every rule: docs/job-config.md.";
  t.input_schema = job_request_schema(SchemaDetail::advertised);
  // The tool's description says what the schema's root description does.
  for (const char* key : {"$schema", "title", "description"}) {
    t.input_schema.erase(key);
  }
  t.full_input_schema = job_request_schema(SchemaDetail::full);
  t.output_schema = {{"type", "object"},
                     {"properties",
                      {{"job_id", {{"type", "string"}}},
                       {"status", {{"type", "string"}}},
                       {"next_step", {{"type", "string"}}}}},
                     {"required", json::array{"job_id", "status"}}};
  t.annotations = {
      .read_only_hint = false, .destructive_hint = false, .idempotent_hint = false, .open_world_hint = true};
  t.handler = sync_handler<submit_job_call>(o);
  t.rest_mapping = [](const json::object& body) -> Result<json::object> {
    const json::value* config = body.if_contains("job_config");
    if (config == nullptr || !config->is_object()) {
      return make_field_errors({{"job_config", config == nullptr ? "is required: send {\"job_config\": {...}}"
                                                                 : "must be an object"}});
    }
    if (body.size() > 1) {
      for (const auto& kv : body) {
        if (kv.key() != "job_config") {
          return make_field_errors(
              {{std::string(kv.key()), "unknown field (the job goes inside job_config)"}});
        }
      }
    }
    return config->get_object();
  };
  return t;
}

Tool get_status(Orchestrator& o) {
  Tool t;
  t.name = "getStatus";
  t.title = "Status of a job";
  t.description =
      "A job's status (PENDING, BUILDING, TESTING, PUBLISHING, SUCCEEDED, FAILED, KILLED), phase and times; "
      "on success the published images, on failure the failed phase, error and log excerpt; next_step says "
      "what to do. wait_seconds waits for a change (or a new build step), sending progress notifications: "
      "poll with 30 instead of sleeping.";
  t.input_schema = job_id_schema();
  t.input_schema["properties"].as_object()["wait_seconds"] = {
      {"type", "integer"},
      {"minimum", 0},
      {"maximum", k_max_wait_seconds},
      {"default", 0},
      {"description", "Seconds to wait for a change before answering."}};
  t.output_schema = {{"type", "object"},
                     {"properties",
                      {{"job_id", {{"type", "string"}}},
                       {"status", {{"type", "string"}}},
                       {"phase", {{"type", {"string", "null"}}}},
                       {"excerpt", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                       {"failure",
                        {{"type", "object"},
                         {"properties",
                          {{"class", {{"type", "string"}}},
                           {"phase", {{"type", "string"}}},
                           {"task", {{"type", "string"}}},
                           {"summary", {{"type", "string"}}},
                           {"location", {{"type", "string"}}},
                           {"evidence", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}}},
                       {"images", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
                     {"required", json::array{"job_id", "status"}}};
  t.annotations = {
      .read_only_hint = true, .destructive_hint = false, .idempotent_hint = true, .open_world_hint = false};
  t.handler = [&o](const json::object& args, ToolContext& ctx) { return get_status_call(o, args, ctx); };
  return t;
}

Tool get_logs(Orchestrator& o) {
  Tool t;
  t.name = "getLogs";
  t.title = "Logs of a job's phase";
  t.description =
      "Pages one phase's log (default: the failed or current phase). mode tail: the last tail_lines; range: "
      "from cursor on (pass next_cursor back, also to follow a running phase); grep: lines matching pattern, "
      "with context_lines (continue with next_cursor). Capped by max_bytes and the line limits; truncated "
      "says so. Test phases have a task per command: cmd-0, cmd-1, ..., entry-point.";
  json::object props{
      {"job_id", string_property("The job id.")},
      {"phase", {{"type", "string"}, {"enum", {"build", "test", "publish", "cleanup"}}}},
      {"task", string_property("One task of the phase, e.g. cmd-1 (default: all).")},
      {"stream", {{"type", "string"}, {"enum", {"all", "stdout", "stderr"}}, {"default", "all"}}},
      {"mode", {{"type", "string"}, {"enum", {"tail", "range", "grep"}}, {"default", "tail"}}},
      {"tail_lines",
       {{"type", "integer"}, {"minimum", 0}, {"maximum", LogQuery::k_max_lines}, {"default", 200}}},
      {"cursor", string_property("next_cursor of a previous answer.")},
      {"limit_lines",
       {{"type", "integer"}, {"minimum", 0}, {"maximum", LogQuery::k_max_lines}, {"default", 200}}},
      {"pattern",
       string_property("RE2 regular expression, at most 256 bytes: no backreferences or lookaround; (?i) "
                       "ignores case.")},
      {"context_lines", {{"type", "integer"}, {"minimum", 0}, {"maximum", 10}, {"default", 0}}},
      {"max_bytes",
       {{"type", "integer"}, {"minimum", 0}, {"maximum", LogQuery::k_max_bytes}, {"default", 32768}}}};
  t.input_schema = {{"type", "object"},
                    {"properties", std::move(props)},
                    {"required", json::array{"job_id"}},
                    {"additionalProperties", false}};
  t.output_schema = {{"type", "object"},
                     {"properties",
                      {{"lines", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                       {"next_cursor", {{"type", "string"}}},
                       {"total_lines", {{"type", {"integer", "null"}}}},
                       {"truncated", {{"type", "boolean"}}}}},
                     {"required", json::array{"lines", "next_cursor", "truncated"}}};
  t.annotations = {
      .read_only_hint = true, .destructive_hint = false, .idempotent_hint = true, .open_world_hint = false};
  t.handler = logs_handler(o, std::make_shared<LogSearchPool>(LogSearchPool::Limits{}));
  return t;
}

Tool kill_job(Orchestrator& o) {
  Tool t;
  t.name = "killJob";
  t.title = "Stop a job";
  t.description =
      "Stops a job: its running phase gets SIGTERM, the status becomes KILLED, the temporary image is "
      "removed. A finished job is left as it is.";
  t.input_schema = job_id_schema();
  t.output_schema = {{"type", "object"},
                     {"properties",
                      {{"job_id", {{"type", "string"}}},
                       {"status", {{"type", "string"}}},
                       {"kill_requested", {{"type", "boolean"}}}}},
                     {"required", json::array{"job_id", "status"}}};
  t.annotations = {
      .read_only_hint = false, .destructive_hint = true, .idempotent_hint = true, .open_world_hint = false};
  t.handler = sync_handler<kill_job_call>(o);
  return t;
}

Tool cleanup(Orchestrator& o) {
  Tool t;
  t.name = "cleanup";
  t.title = "Remove a finished job's phases, or every orphan";
  t.description =
      "With job_id: removes a finished job's phases and logs from the executor (its record stays). With "
      "all=true: the same for every finished job and orphaned phase, then the records beyond the history "
      "limit.";
  t.input_schema = {{"type", "object"},
                    {"properties",
                     {{"job_id", string_property("A finished job.")},
                      {"all", {{"type", "boolean"}, {"description", "Remove every orphan instead."}}}}},
                    {"additionalProperties", false}};
  t.output_schema = cleanup_output_schema();
  t.annotations = {
      .read_only_hint = false, .destructive_hint = true, .idempotent_hint = true, .open_world_hint = false};
  t.handler = once_settled_handler<cleanup_call>(o);
  return t;
}

Tool get_history(Orchestrator& o) {
  Tool t;
  t.name = "getHistory";
  t.title = "Finished jobs";
  t.description =
      "Lists finished jobs newest first, optionally only one owner's, with paging (limit, offset).";
  t.input_schema = {{"type", "object"},
                    {"properties",
                     {{"owner", string_property("Only this owner's jobs.")},
                      {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}, {"default", 10}}},
                      {"offset", {{"type", "integer"}, {"minimum", 0}, {"default", 0}}}}},
                    {"additionalProperties", false}};
  t.output_schema = {{"type", "object"},
                     {"properties", {{"jobs", {{"type", "array"}}}, {"total", {{"type", "integer"}}}}},
                     {"required", json::array{"jobs", "total"}}};
  t.annotations = {
      .read_only_hint = true, .destructive_hint = false, .idempotent_hint = true, .open_world_hint = false};
  t.handler = sync_handler<get_history_call>(o);
  return t;
}

Tool purge_failed_job(Orchestrator& o) {
  Tool t;
  t.name = "purgeFailedJob";
  t.title = "Remove a failed job's phases";
  t.description =
      "Removes the phase jobs of a FAILED or KILLED job from the executor (its record stays in history).";
  t.input_schema = job_id_schema();
  t.output_schema = cleanup_output_schema();
  t.annotations = {
      .read_only_hint = false, .destructive_hint = true, .idempotent_hint = true, .open_world_hint = false};
  t.handler = once_settled_handler<purge_failed_job_call>(o);
  return t;
}

}  // namespace

json::object status_json(const JobRecord& r) {
  json::object out{{"job_id", r.id},
                   {"status", to_string(r.status)},
                   {"phase", r.active_phase ? json::value(to_string(*r.active_phase)) : json::value(nullptr)},
                   {"owner", r.request.owner},
                   {"git_ref", r.request.git_ref},
                   {"times", times_json(r.times)},
                   {"next_step", next_step(r)}};
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
  if (!r.commit.empty()) {
    out["commit"] = r.commit;
  }
  if (!r.images.empty()) {
    out["images"] = json::array(r.images.begin(), r.images.end());
  }
  if (!r.cleanup_error.empty()) {
    out["cleanup_error"] = r.cleanup_error;
  }
  return out;
}

Status register_job_tools(ToolRegistry& tools, Orchestrator& orchestrator) {
  for (auto* make :
       {&submit_job, &get_status, &get_logs, &kill_job, &cleanup, &get_history, &purge_failed_job}) {
    if (auto added = tools.add(make(orchestrator)); !added) {
      return added;
    }
  }
  return {};
}

}  // namespace nbs::mcpd
