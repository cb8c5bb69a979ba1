// submitJob: validates a job (the schema is common/'s, shared with the validator) and records it.
#include "common/job_request_parser.hpp"
#include "mcpd/tools/job_tools.hpp"
#include "mcpd/tools/tool_support.hpp"

namespace nbs::mcpd::tools {

namespace json = boost::json;

namespace {

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

// POST /mcp/submitJob takes {"job_config": {...}}: the job itself is the tool's arguments.
Result<json::object> job_config_of(const json::object& body) {
  const json::value* config = body.if_contains("job_config");
  if (config == nullptr || !config->is_object()) {
    return make_field_errors({{"job_config", config == nullptr ? "is required: send {\"job_config\": {...}}"
                                                               : "must be an object"}});
  }
  if (body.size() > 1) {
    for (const auto& kv : body) {
      if (kv.key() != "job_config") {
        return make_field_errors({{std::string(kv.key()), "unknown field (the job goes inside job_config)"}});
      }
    }
  }
  return config->get_object();
}

}  // namespace

// Its arguments are checked by the validator (every invalid field at once), not by the schema's names.
Tool submit_job_tool(Orchestrator& o) {
  Tool t;
  t.name = "submitJob";
  t.description =
      "Builds a Git ref into an image, tests it in the image, publishes it. Answers a job_id at once: call "
      "getStatus with wait_seconds=30 until SUCCEEDED, FAILED or KILLED.";
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
  t.handler = offloaded_handler(o, submit_job_call);
  t.rest_mapping = job_config_of;
  return t;
}

}  // namespace nbs::mcpd::tools
