#include "mcpd/tools/tool_support.hpp"

#include <algorithm>
#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace nbs::mcpd::tools {

namespace json = boost::json;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> declared_arguments(const json::object& input_schema) {
  std::vector<std::string> names;
  if (const json::value* properties = input_schema.if_contains("properties");
      properties && properties->is_object()) {
    for (const auto& kv : properties->get_object()) {
      names.emplace_back(kv.key());
    }
  }
  return names;
}

Status declared(const json::object& args, const std::vector<std::string>& names) {
  std::vector<FieldError> errors;
  for (const auto& kv : args) {
    if (std::find(names.begin(), names.end(), kv.key()) == names.end()) {
      errors.push_back({std::string(kv.key()), "unknown argument"});
    }
  }
  if (!errors.empty()) {
    return make_field_errors(std::move(errors));
  }
  return {};
}

// (Named coroutines rather than coroutine lambdas: GCC 12 reports a false mismatched-new-delete for
// Asio awaitable frames inlined into std::function.)
asio::awaitable<Result<ToolResult>> ready_result(Result<ToolResult> result) {
  co_return result;
}

asio::awaitable<Result<ToolResult>> run_call(Orchestrator& o, SyncCall call, const json::object& args,
                                             ToolContext& ctx) {
  co_return call(o, args, ctx);
}

// Resumes on the caller's executor once `pool` has run the call.
asio::awaitable<Result<ToolResult>> call_offloaded(asio::thread_pool& pool, Orchestrator& o, SyncCall call,
                                                   const json::object& args, ToolContext& ctx) {
  co_return co_await asio::co_spawn(pool, run_call(o, call, args, ctx), asio::use_awaitable);
}

asio::awaitable<Result<ToolResult>> call_once_settled(Orchestrator& o, SyncCall call,
                                                      const json::object& args, ToolContext& ctx) {
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
  co_return call(o, args, ctx);
}

}  // namespace

json::object job_id_schema() {
  return {{"type", "object"},
          {"properties", {{"job_id", {{"type", "string"}}}}},
          {"required", json::array{"job_id"}},
          {"additionalProperties", false}};
}

void set_input_schema(Tool& tool, json::object full) {
  json::object advertised = full;
  for (auto& property : advertised["properties"].as_object()) {
    property.value().as_object().erase("minimum");
    property.value().as_object().erase("maximum");
  }
  tool.input_schema = std::move(advertised);
  tool.full_input_schema = std::move(full);
}

Result<std::string> required_string(const json::object& args, std::string_view key) {
  const json::value* v = args.if_contains(key);
  if (v == nullptr || !v->is_string() || v->get_string().empty()) {
    return make_field_errors(
        {{std::string(key), v == nullptr ? "is required" : "must be a non-empty string"}});
  }
  return std::string(v->get_string());
}

Result<JobRecord> job_argument(Orchestrator& o, const json::object& args, const ToolContext& ctx) {
  auto id = required_string(args, "job_id");
  if (!id) {
    return id.error();
  }
  return o.get(*id, ctx.principal());
}

ToolHandler with_declared_arguments(const json::object& input_schema, ToolHandler handler) {
  return [names = declared_arguments(input_schema), handler = std::move(handler)](
             const json::object& args, ToolContext& ctx) -> asio::awaitable<Result<ToolResult>> {
    if (auto known = declared(args, names); !known) {
      return ready_result(known.error());
    }
    return handler(args, ctx);
  };
}

json::value time_or_null(const std::optional<SystemTime>& t) {
  return t ? json::value(format_utc(*t)) : nullptr;
}

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

ToolContext::Subscribe record_writes(Orchestrator& o, const std::string& job_id, std::uint64_t changes) {
  return [&o, job_id, changes](ToolContext::Waker wake) -> std::function<void()> {
    const auto handle = o.notify_on_change(job_id, changes, std::move(wake));
    return [&o, handle] { o.cancel_notification(handle); };
  };
}

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

ToolHandler sync_handler(Orchestrator& o, SyncCall call) {
  return [&o, call](const json::object& args, ToolContext& ctx) { return ready_result(call(o, args, ctx)); };
}

ToolHandler offloaded_handler(Orchestrator& o, SyncCall call) {
  // Two threads: a write waiting for the store's lock still lets the next one start.
  auto pool = std::make_shared<asio::thread_pool>(2);
  return [&o, call, pool](const json::object& args, ToolContext& ctx) {
    return call_offloaded(*pool, o, call, args, ctx);
  };
}

ToolHandler once_settled_handler(Orchestrator& o, SyncCall call) {
  return [&o, call](const json::object& args, ToolContext& ctx) {
    return call_once_settled(o, call, args, ctx);
  };
}

}  // namespace nbs::mcpd::tools
