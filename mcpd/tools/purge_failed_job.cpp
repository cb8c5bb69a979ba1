// purgeFailedJob: removes the phases of a FAILED or KILLED job (its record stays in history).
#include "mcpd/tools/job_tools.hpp"
#include "mcpd/tools/tool_support.hpp"

namespace nbs::mcpd::tools {

namespace json = boost::json;

namespace {

Result<ToolResult> purge_failed_job_call(Orchestrator& o, const json::object& args, ToolContext& ctx) {
  auto record = job_argument(o, args, ctx);
  if (!record) {
    return record.error();
  }
  if (record->status != JobStatus::failed && record->status != JobStatus::killed) {
    return make_error(
        ErrorKind::conflict,
        "job_id: " + record->id + " is " + std::string(to_string(record->status)) + ", not FAILED or KILLED");
  }
  auto report = o.cleanup(record->id, ctx.principal());
  if (!report) {
    return report.error();
  }
  return ToolResult{
      json::value(cleanup_json(*report)),
      "Purged " + std::to_string(report->removed.size()) + " phase(s) of job " + record->id + ".",
      {}};
}

}  // namespace

Tool purge_failed_job_tool(Orchestrator& o) {
  Tool t;
  t.name = "purgeFailedJob";
  t.description = "Removes a FAILED or KILLED job's phases; its record stays in history.";
  t.input_schema = job_id_schema();
  t.output_schema = cleanup_output_schema();
  t.annotations = {
      .read_only_hint = false, .destructive_hint = true, .idempotent_hint = true, .open_world_hint = false};
  t.handler = with_declared_arguments(t.input_schema, once_settled_handler(o, purge_failed_job_call));
  return t;
}

}  // namespace nbs::mcpd::tools
