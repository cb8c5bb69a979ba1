// getArtifacts: the test reports (test.reports) collected from a job's test tasks: the list, with each
// JUnit report's counts, or a page of one file's text.
#include <charconv>

#include "mcpd/mcp/json_rpc.hpp"
#include "mcpd/tools/job_tools.hpp"
#include "mcpd/tools/test_reports.hpp"
#include "mcpd/tools/tool_support.hpp"

namespace nbs::mcpd::tools {

namespace json = boost::json;

namespace {

std::optional<std::string> optional_string(const json::object& args, std::string_view key,
                                           std::vector<FieldError>& errors) {
  const json::value* v = args.if_contains(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (!v->is_string()) {
    errors.push_back({std::string(key), "must be a string"});
    return std::nullopt;
  }
  return std::string(v->get_string());
}

Result<std::uint64_t> parse_cursor(const std::optional<std::string>& cursor) {
  std::uint64_t offset = 0;
  if (!cursor || cursor->empty()) {
    return offset;
  }
  const auto [end, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), offset);
  if (ec != std::errc() || end != cursor->data() + cursor->size()) {
    return make_field_errors({{"cursor", "must be a next_cursor from an earlier getArtifacts answer"}});
  }
  return offset;
}

Result<ToolResult> list_answer(const JobRecord& record, const std::vector<jobs::ReportFile>& files) {
  json::array listed;
  std::string text;
  for (const auto& f : files) {
    listed.push_back(report_file_json(f));
    text += f.task + " " + f.path + ": " + f.status;
    if (f.junit) {
      text += ", " + std::to_string(f.junit->tests) + " tests, " + std::to_string(f.junit->failures) +
              " failures, " + std::to_string(f.junit->errors) + " errors";
      if (!f.junit->first_failure.empty()) {
        text += "; first failure " + f.junit->first_failure + ": " + f.junit->message;
      }
    }
    text += f.message.empty() ? "\n" : " (" + f.message + ")\n";
  }
  if (files.empty()) {
    text =
        !record.request.test || record.request.test->reports.empty()
            ? "Job " + record.id + " asked for no test.reports.\n"
            : "Job " + record.id + ": no report collected (yet): they are read when each test task ends.\n";
  }
  return ToolResult{
      json::value(json::object{{"job_id", record.id}, {"files", std::move(listed)}}), valid_utf8(text), {}};
}

// A page of one file's text. It ends on a UTF-8 character boundary, so that the next page starts on one.
Result<ToolResult> page_answer(Orchestrator& o, const JobRecord& record, const jobs::ReportFile& file,
                               std::uint64_t offset) {
  constexpr std::size_t k_page_bytes = std::size_t{32} * 1024;
  auto chunk = o.executor().read_report(test_phase_of(record), file.task, file.index, offset, k_page_bytes);
  if (!chunk) {
    return chunk.error();
  }
  std::string bytes = std::move(chunk->bytes);
  const bool more = chunk->offset + bytes.size() < chunk->total_size;
  if (more) {
    std::size_t end = bytes.size();
    while (end > bytes.size() - std::min<std::size_t>(bytes.size(), 3) &&
           (static_cast<unsigned char>(bytes[end - 1]) & 0xC0) == 0x80) {
      --end;
    }
    if (end > 0 && (static_cast<unsigned char>(bytes[end - 1]) & 0xC0) == 0xC0) {
      --end;  // the lead byte of a sequence the page would cut
    }
    bytes.resize(end);
  }
  const std::string next = more ? std::to_string(chunk->offset + bytes.size()) : "";
  std::string text = valid_utf8(bytes);
  json::object out = report_file_json(file);
  out["job_id"] = record.id;
  out["offset"] = chunk->offset;
  out["next_cursor"] = next;
  out["text"] = text;
  if (more) {
    text += "\n[more: continue with cursor " + next + "]\n";
  }
  return ToolResult{json::value(std::move(out)), std::move(text), {}};
}

Result<ToolResult> get_artifacts_call(Orchestrator& o, const json::object& args, ToolContext& ctx) {
  auto record = job_argument(o, args, ctx);
  if (!record) {
    return record.error();
  }
  std::vector<FieldError> errors;
  auto path = optional_string(args, "path", errors);
  std::optional<std::string> task;
  if (path && !path->starts_with("/") && path->find(':') != std::string::npos) {
    task = path->substr(0, path->find(':'));
    path = path->substr(path->find(':') + 1);
  }
  const auto cursor = optional_string(args, "cursor", errors);
  if (!errors.empty()) {
    return make_field_errors(std::move(errors));
  }
  auto offset = parse_cursor(cursor);
  if (!offset) {
    return offset.error();
  }
  std::vector<jobs::ReportFile> files;
  if (may_have_reports(*record)) {
    auto read = o.executor().reports(test_phase_of(*record));
    if (!read) {
      return read.error();
    }
    files = std::move(*read);
  }
  if (!path) {
    return list_answer(*record, files);
  }
  for (const auto& f : files) {
    if (f.path == *path && (!task || f.task == *task)) {
      if (f.status != "ok" && f.status != "truncated") {
        return make_error(ErrorKind::not_found, "path: " + f.path + " is " + f.status + ": " + f.message);
      }
      return page_answer(o, *record, f, *offset);
    }
  }
  return make_error(ErrorKind::not_found, "path: job " + record->id + " has no collected report '" + *path +
                                              "'" + (task ? " of task " + *task : "") +
                                              ": call getArtifacts without path for the list");
}

}  // namespace

Tool get_artifacts_tool(Orchestrator& o) {
  Tool t;
  t.name = "getArtifacts";
  t.description = "Lists a job's collected test.reports (JUnit counts), or pages one: path, cursor.";
  json::object input = job_id_schema();
  auto& props = input["properties"].as_object();
  // No `task` argument: a path a second test task collected as well is named "<task>:<path>" (paths
  // start with '/'), which the list shows; tools/list has no bytes to spare (issue 15's 8 KiB).
  for (const char* key : {"path", "cursor"}) {
    props[key] = {{"type", "string"}};
  }
  set_input_schema(t, std::move(input));
  // Either shape (a list or a page) is an object; docs/agent-guide.md has their fields.
  t.output_schema = {{"type", "object"}};
  t.annotations = {
      .read_only_hint = true, .destructive_hint = false, .idempotent_hint = true, .open_world_hint = false};
  t.handler = with_declared_arguments(t.input_schema, sync_handler(o, get_artifacts_call));
  return t;
}

}  // namespace nbs::mcpd::tools
