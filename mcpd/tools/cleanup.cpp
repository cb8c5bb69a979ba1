// cleanup: removes a finished job's phases, or (all=true) every orphan and the records beyond the
// history limit.
#include "mcpd/tools/job_tools.hpp"
#include "mcpd/tools/tool_support.hpp"

namespace nbs::mcpd::tools {

namespace json = boost::json;

namespace {

Result<ToolResult> cleanup_call(Orchestrator& o, const json::object& args, ToolContext& ctx) {
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

}  // namespace

Tool cleanup_tool(Orchestrator& o) {
  Tool t;
  t.name = "cleanup";
  t.description =
      "Removes a finished job's phases and logs (the record stays); all=true: every finished job's, orphans, "
      "and records past the history limit.";
  t.input_schema = {{"type", "object"},
                    {"properties", {{"job_id", {{"type", "string"}}}, {"all", {{"type", "boolean"}}}}},
                    {"additionalProperties", false}};
  t.output_schema = cleanup_output_schema();
  t.annotations = {
      .read_only_hint = false, .destructive_hint = true, .idempotent_hint = true, .open_world_hint = false};
  t.handler = with_declared_arguments(t.input_schema, once_settled_handler(o, cleanup_call));
  return t;
}

}  // namespace nbs::mcpd::tools
