#include "tests/unit/mcpd/testutil/fake_tools.hpp"

#include <stdexcept>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace nbs::mcpd::testing {
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

json::object schema(std::string_view text) {
  return json::parse(text).as_object();
}

std::string string_arg(const json::object& args, std::string_view key) {
  auto it = args.find(key);
  return it != args.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

std::int64_t int_arg(const json::object& args, std::string_view key, std::int64_t fallback) {
  auto it = args.find(key);
  return it != args.end() && it->value().is_int64() ? it->value().get_int64() : fallback;
}

// Outside the coroutines: GCC 12 mishandles aggregate initializers with string literals inside them.
ToolResult structured(json::object out) {
  ToolResult result;
  result.structured = std::move(out);
  return result;
}

void note_call(FakeToolState& state, ToolContext& ctx) {
  ++state.calls;
  std::lock_guard lock(state.mutex);
  state.last_principal = ctx.principal();
}

asio::awaitable<Result<ToolResult>> echo(std::shared_ptr<FakeToolState> state, const json::object& args,
                                         ToolContext& ctx) {
  note_call(*state, ctx);
  json::object out;
  out["text"] = string_arg(args, "text");
  co_return structured(std::move(out));
}

asio::awaitable<Result<ToolResult>> submit_job(std::shared_ptr<FakeToolState> state, const json::object& args,
                                               ToolContext& ctx) {
  note_call(*state, ctx);
  std::vector<FieldError> errors;
  for (const char* field : {"owner", "repo_url", "image_name", "registry_url"}) {
    if (string_arg(args, field).empty()) {
      errors.push_back({field, "is required"});
    }
  }
  if (auto it = args.find("git_ref"); it != args.end() && !it->value().is_string()) {
    errors.push_back({"git_ref", "must be a string"});
  }
  if (!errors.empty()) {
    co_return make_field_errors(std::move(errors));
  }
  json::object out;
  out["job_id"] = "job-1";
  out["status"] = "queued";
  co_return structured(std::move(out));
}

asio::awaitable<Result<ToolResult>> get_status(std::shared_ptr<FakeToolState> state, const json::object& args,
                                               ToolContext& ctx) {
  note_call(*state, ctx);
  std::string job_id = string_arg(args, "job_id");
  if (job_id == "missing") {
    co_return make_error(ErrorKind::not_found, "job_id: no job 'missing'");
  }
  if (job_id == "throw") {
    throw std::runtime_error("boom");
  }
  for (int step = 1; step <= 3; ++step) {
    ctx.report_progress(step, 3, "step " + std::to_string(step));
    co_await ctx.wait_for(std::chrono::milliseconds(20));
  }
  bool finished = co_await ctx.wait_for(std::chrono::seconds(int_arg(args, "wait_seconds", 0)));
  if (!finished) {
    ++state->cancelled;
    std::lock_guard lock(state->mutex);
    state->last_cancel_reason = ctx.cancellation().reason();
  }
  json::object out;
  out["job_id"] = job_id;
  out["status"] = "BUILDING";
  out["finished"] = finished;
  co_return structured(std::move(out));
}

asio::awaitable<Result<ToolResult>> get_logs(std::shared_ptr<FakeToolState> state, const json::object& args,
                                             ToolContext& ctx) {
  note_call(*state, ctx);
  json::object out;
  out["arguments"] = args;
  co_return structured(std::move(out));
}

asio::awaitable<Result<ToolResult>> slow(std::shared_ptr<FakeToolState> state, const json::object& args,
                                         ToolContext& ctx) {
  note_call(*state, ctx);
  bool completed = co_await ctx.wait_for(std::chrono::milliseconds(int_arg(args, "ms", 1000)));
  if (!completed) {
    ++state->cancelled;
    std::lock_guard lock(state->mutex);
    state->last_cancel_reason = ctx.cancellation().reason();
  }
  json::object out;
  out["completed"] = completed;
  co_return structured(std::move(out));
}

template <auto Fn>
ToolHandler bind(std::shared_ptr<FakeToolState> state) {
  return [state](const json::object& args, ToolContext& ctx) { return Fn(state, args, ctx); };
}

void must(const Status& status) {
  if (!status) {
    throw std::runtime_error(status.error().describe());
  }
}

}  // namespace

void register_fake_tools(ToolRegistry& registry, const std::shared_ptr<FakeToolState>& state) {
  Tool echo_tool;
  echo_tool.name = "echo";
  echo_tool.title = "Echo";
  echo_tool.description = "Returns its text.";
  echo_tool.input_schema =
      schema(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})");
  echo_tool.output_schema =
      schema(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})");
  echo_tool.annotations.read_only_hint = true;
  echo_tool.handler = bind<echo>(state);
  must(registry.add(std::move(echo_tool)));

  Tool submit;
  submit.name = "submitJob";
  submit.description = "Submits a build. Returns a job id at once; then call getStatus.";
  submit.input_schema = schema(R"({"type":"object","properties":{
      "owner":{"type":"string"},"repo_url":{"type":"string"},"git_ref":{"type":"string"},
      "image_name":{"type":"string"},"registry_url":{"type":"string"}},
      "required":["owner","repo_url","image_name","registry_url"]})");
  submit.output_schema = schema(R"({"type":"object","properties":{
      "job_id":{"type":"string"},"status":{"type":"string"}},"required":["job_id","status"]})");
  submit.annotations.destructive_hint = false;
  submit.annotations.open_world_hint = true;
  submit.handler = bind<submit_job>(state);
  submit.rest_mapping = [](const json::object& body) -> Result<json::object> {
    auto it = body.find("job_config");
    if (it == body.end() || !it->value().is_object()) {
      return make_field_errors({{"job_config", "is required and must be an object"}});
    }
    return it->value().get_object();
  };
  must(registry.add(std::move(submit)));

  Tool status;
  status.name = "getStatus";
  status.description = "Status of a job; waits up to wait_seconds for a change.";
  status.input_schema = schema(R"({"type":"object","properties":{
      "job_id":{"type":"string"},"wait_seconds":{"type":"integer","minimum":0,"maximum":45}},
      "required":["job_id"]})");
  status.output_schema = schema(R"({"type":"object","properties":{
      "job_id":{"type":"string"},"status":{"type":"string"},"finished":{"type":"boolean"}},
      "required":["job_id","status"]})");
  status.annotations.read_only_hint = true;
  status.handler = bind<get_status>(state);
  must(registry.add(std::move(status)));

  Tool logs;
  logs.name = "getLogs";
  logs.description = "A page of a job's logs.";
  logs.input_schema = schema(R"({"type":"object","properties":{
      "job_id":{"type":"string"},"phase":{"type":"string"},"mode":{"type":"string"},
      "tail_lines":{"type":"integer"},"cursor":{"type":"string"},"max_bytes":{"type":"integer"}},
      "required":["job_id"]})");
  logs.output_schema = schema(R"({"type":"object","properties":{"arguments":{"type":"object"}}})");
  logs.annotations.read_only_hint = true;
  logs.handler = bind<get_logs>(state);
  must(registry.add(std::move(logs)));

  Tool slow_tool;
  slow_tool.name = "slow";
  slow_tool.description = "Waits ms milliseconds.";
  slow_tool.input_schema = schema(R"({"type":"object","properties":{"ms":{"type":"integer"}}})");
  slow_tool.handler = bind<slow>(state);
  must(registry.add(std::move(slow_tool)));
}

}  // namespace nbs::mcpd::testing
