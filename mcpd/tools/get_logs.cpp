// getLogs: pages one phase's log (tail, range or grep), read through the orchestrator.
#include "mcpd/orchestrator/log_query.hpp"
#include "mcpd/orchestrator/log_search_pool.hpp"
#include "mcpd/tools/job_tools.hpp"
#include "mcpd/tools/tool_support.hpp"

namespace nbs::mcpd::tools {

namespace json = boost::json;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// A getLogs call once its arguments are checked: which phase attempt to read, and how.
struct LogsRequest {
  jobs::PhaseId phase;
  LogQuery query;
};

Result<LogsRequest> parse_logs_request(Orchestrator& o, const json::object& args, ToolContext& ctx) {
  auto record = job_argument(o, args, ctx);
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
  Result<LogPage> page = co_await o.logs(request->phase, request->query, searches, ctx.stop_token());
  if (!page && page.error().kind == ErrorKind::unavailable) {
    ctx.set_retry_after(1s);
  }
  co_return logs_result(*request, page, searches.limits().time_limit);
}

// The pool is shared by every copy of the handler and stops with the last of them.
ToolHandler logs_handler(Orchestrator& o, std::shared_ptr<LogSearchPool> searches) {
  return [&o, searches = std::move(searches)](const json::object& args, ToolContext& ctx) {
    return get_logs_call(o, *searches, args, ctx);
  };
}

}  // namespace

Tool get_logs_tool(Orchestrator& o) {
  Tool t;
  t.name = "getLogs";
  t.description =
      "Pages a phase's log (default: the failed or current one). mode tail: last tail_lines; range: "
      "limit_lines from cursor; grep: lines matching pattern (RE2). Continue (or follow) with next_cursor. "
      "Test tasks: cmd-0, cmd-1, ..., entry-point.";
  json::object props{
      {"job_id", {{"type", "string"}}},
      {"phase", {{"type", "string"}, {"enum", {"build", "test", "publish", "cleanup"}}}},
      {"task", {{"type", "string"}}},
      {"stream", {{"type", "string"}, {"enum", {"all", "stdout", "stderr"}}, {"default", "all"}}},
      {"mode", {{"type", "string"}, {"enum", {"tail", "range", "grep"}}, {"default", "tail"}}},
      {"tail_lines",
       {{"type", "integer"}, {"minimum", 0}, {"maximum", LogQuery::k_max_lines}, {"default", 200}}},
      {"cursor", {{"type", "string"}}},
      {"limit_lines",
       {{"type", "integer"}, {"minimum", 0}, {"maximum", LogQuery::k_max_lines}, {"default", 200}}},
      {"pattern", {{"type", "string"}}},
      {"context_lines", {{"type", "integer"}, {"minimum", 0}, {"maximum", 10}, {"default", 0}}},
      {"max_bytes",
       {{"type", "integer"}, {"minimum", 0}, {"maximum", LogQuery::k_max_bytes}, {"default", 32768}}}};
  set_input_schema(t, {{"type", "object"},
                       {"properties", std::move(props)},
                       {"required", json::array{"job_id"}},
                       {"additionalProperties", false}});
  t.output_schema = {{"type", "object"},
                     {"properties",
                      {{"lines", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                       {"next_cursor", {{"type", "string"}}},
                       {"truncated", {{"type", "boolean"}}}}},
                     {"required", json::array{"lines", "next_cursor", "truncated"}}};
  t.annotations = {
      .read_only_hint = true, .destructive_hint = false, .idempotent_hint = true, .open_world_hint = false};
  t.handler = with_declared_arguments(
      t.input_schema, logs_handler(o, std::make_shared<LogSearchPool>(LogSearchPool::Limits{})));
  return t;
}

}  // namespace nbs::mcpd::tools
