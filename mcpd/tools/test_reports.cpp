#include "mcpd/tools/test_reports.hpp"

#include "mcpd/mcp/json_rpc.hpp"

namespace nbs::mcpd::tools {

namespace json = boost::json;

namespace {

constexpr std::size_t k_status_message_bytes = 160;

std::string shortened(const std::string& text, std::size_t max) {
  if (text.size() <= max) {
    return text;
  }
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;  // not inside a UTF-8 sequence
  }
  return text.substr(0, end) + "…";
}

}  // namespace

jobs::PhaseId test_phase_of(const JobRecord& record) {
  return {record.id, Phase::test, record.active_phase == Phase::test ? record.attempt : 1};
}

bool may_have_reports(const JobRecord& record) {
  return record.request.test && !record.request.test->reports.empty() && record.times.test_start;
}

json::object reports_summary_json(const std::vector<jobs::ReportFile>& files) {
  if (files.empty()) {
    return {};
  }
  int tests = 0, failures = 0, errors = 0, skipped = 0, junit = 0, problems = 0;
  const jobs::ReportFile* first = nullptr;
  for (const auto& f : files) {
    problems += f.status != "ok";
    if (!f.junit) {
      continue;
    }
    ++junit;
    tests += f.junit->tests;
    failures += f.junit->failures;
    errors += f.junit->errors;
    skipped += f.junit->skipped;
    if (first == nullptr && !f.junit->first_failure.empty()) {
      first = &f;
    }
  }
  json::object out{{"files", files.size()}};
  if (problems > 0) {
    out["problems"] = problems;  // missing, truncated, incomplete or in error: getArtifacts says which
  }
  if (junit > 0) {
    out["tests"] = tests;
    out["failures"] = failures;
    out["errors"] = errors;
    out["skipped"] = skipped;
  }
  if (first != nullptr) {
    out["first_failure"] = valid_utf8(first->junit->first_failure);
    out["message"] = valid_utf8(shortened(first->junit->message, k_status_message_bytes));
  }
  return out;
}

json::object report_file_json(const jobs::ReportFile& f) {
  // Paths come from the test's archive and messages from its report: any bytes at all.
  json::object out{{"task", f.task}, {"path", valid_utf8(f.path)}, {"status", f.status}};
  if (f.status == "ok" || f.status == "truncated") {
    out["size"] = f.size;
  }
  if (f.status == "truncated") {
    out["kept"] = f.kept;
  }
  if (!f.message.empty()) {
    out["message"] = valid_utf8(f.message);
  }
  if (f.junit) {
    out["junit"] = {{"tests", f.junit->tests},
                    {"failures", f.junit->failures},
                    {"errors", f.junit->errors},
                    {"skipped", f.junit->skipped},
                    {"first_failure", valid_utf8(f.junit->first_failure)},
                    {"message", valid_utf8(f.junit->message)}};
  }
  return out;
}

}  // namespace nbs::mcpd::tools
