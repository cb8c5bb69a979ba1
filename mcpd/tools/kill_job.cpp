// killJob: stops a job; a finished one is left as it is.
#include "mcpd/tools/job_tools.hpp"
#include "mcpd/tools/tool_support.hpp"

namespace nbs::mcpd::tools {

namespace json = boost::json;

namespace {

Result<ToolResult> kill_job_call(Orchestrator& o, const json::object& args, ToolContext& ctx) {
  auto id = required_string(args, "job_id");
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

}  // namespace

Tool kill_job_tool(Orchestrator& o) {
  Tool t;
  t.name = "killJob";
  t.description =
      "Stops a running job (status KILLED) and removes its temporary image. A finished job stays as it is.";
  t.input_schema = job_id_schema();
  t.output_schema = {{"type", "object"},
                     {"properties",
                      {{"job_id", {{"type", "string"}}},
                       {"status", {{"type", "string"}}},
                       {"kill_requested", {{"type", "boolean"}}}}},
                     {"required", json::array{"job_id", "status"}}};
  t.annotations = {
      .read_only_hint = false, .destructive_hint = true, .idempotent_hint = true, .open_world_hint = false};
  t.handler = with_declared_arguments(t.input_schema, offloaded_handler(o, kill_job_call));
  return t;
}

}  // namespace nbs::mcpd::tools
