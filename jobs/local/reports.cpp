// LocalExecutor: the test reports nbs-task-supervisor collected into <task dir>/reports/ (the manifest
// format is in report_collect.hpp). A JUnit report is parsed once, the first time it is asked for, and
// its summary kept beside it (<n>.junit), so that a getStatus long poll does not parse it again and again.
#include <algorithm>
#include <charconv>
#include <fstream>

#include <boost/json.hpp>

#include "jobs/junit.hpp"
#include "jobs/local/local_executor.hpp"
#include "jobs/local/phase_files.hpp"

namespace nbs::jobs {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    const std::size_t end = line.find(sep, start);
    out.push_back(line.substr(start, end - start));
    if (end == std::string_view::npos) {
      return out;
    }
    start = end + 1;
  }
}

template <class T>
bool number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool looks_like_xml(const fs::path& stored, std::string_view path) {
  std::ifstream in(stored, std::ios::binary);
  std::string head(k_junit_sniff_bytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  return looks_like_junit(path, head);
}

json::object junit_json(const JUnitSummary& j) {
  return {{"tests", j.tests},     {"failures", j.failures},           {"errors", j.errors},
          {"skipped", j.skipped}, {"first_failure", j.first_failure}, {"message", j.message}};
}

JUnitSummary junit_from(const json::object& o) {
  JUnitSummary j;
  auto integer = [&](const char* key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_int64() ? static_cast<int>(v->as_int64()) : 0;
  };
  auto text = [&](const char* key) {
    const json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  j.tests = integer("tests");
  j.failures = integer("failures");
  j.errors = integer("errors");
  j.skipped = integer("skipped");
  j.first_failure = text("first_failure");
  j.message = text("message");
  return j;
}

// The summary of a stored report that is JUnit XML, from its cache file or parsed now (and cached).
std::optional<JUnitSummary> junit_of(const fs::path& stored, std::string_view path) {
  const fs::path cache = stored.string() + ".junit";
  if (auto cached = read_file(cache)) {
    boost::system::error_code ec;
    json::value v = json::parse(*cached, ec);
    if (!ec && v.is_object()) {
      return junit_from(v.as_object());
    }
    if (!ec && v.is_null()) {
      return std::nullopt;
    }
  }
  std::optional<JUnitSummary> summary;
  if (looks_like_xml(stored, path)) {
    if (auto text = read_file(stored)) {
      summary = parse_junit(*text);
    }
  }
  write_private_file(cache, summary ? json::serialize(junit_json(*summary)) : "null");
  return summary;
}

std::vector<ReportFile> task_reports(const fs::path& task_dir, const std::string& task) {
  std::vector<ReportFile> out;
  auto manifest = read_file(task_dir / "reports" / "manifest");
  if (!manifest) {
    return out;
  }
  for (std::string_view line : split(*manifest, '\n')) {
    const std::vector<std::string_view> f = split(line, '\t');
    ReportFile r{.task = task};
    if (f[0] == "file" && f.size() == 5 && number(f[1], r.index) && number(f[2], r.size) &&
        number(f[3], r.kept)) {
      r.path = f[4];
      r.status = r.kept < r.size ? "truncated" : "ok";
      r.junit = junit_of(task_dir / "reports" / std::string(f[1]), r.path);
    } else if ((f[0] == "missing" || f[0] == "incomplete") && f.size() == 2) {
      r.path = f[1];
      r.status = f[0];
      r.message = f[0] == "missing" ? k_report_missing_message : k_report_incomplete_message;
    } else if (f[0] == "error" && f.size() == 3) {
      r.path = f[1];
      r.status = "error";
      r.message = f[2];
    } else {
      continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<std::vector<ReportFile>> LocalExecutor::reports(const PhaseId& id) {
  const fs::path tasks = phase_dir(id) / "tasks";
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(tasks, ec)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  std::vector<ReportFile> out;
  for (const auto& name : names) {
    auto files = task_reports(tasks / name, name);
    out.insert(out.end(), std::make_move_iterator(files.begin()), std::make_move_iterator(files.end()));
  }
  return out;
}

Result<LogChunk> LocalExecutor::read_report(const PhaseId& id, const std::string& task, std::size_t index,
                                            std::uint64_t offset, std::size_t max_bytes) {
  if (task.empty() || task.find('/') != std::string::npos || task.starts_with(".")) {
    return make_error(ErrorKind::not_found, "path: no report of task '" + task + "'");
  }
  std::ifstream in(phase_dir(id) / "tasks" / task / "reports" / std::to_string(index), std::ios::binary);
  if (!in) {
    return make_error(ErrorKind::not_found, "path: no report of task '" + task + "' in " + id.name());
  }
  in.seekg(0, std::ios::end);
  LogChunk chunk;
  chunk.total_size = static_cast<std::uint64_t>(in.tellg());
  chunk.offset = std::min(offset, chunk.total_size);
  in.seekg(static_cast<std::streamoff>(chunk.offset));
  chunk.bytes.resize(
      static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, chunk.total_size - chunk.offset)));
  in.read(chunk.bytes.data(), static_cast<std::streamsize>(chunk.bytes.size()));
  chunk.bytes.resize(static_cast<std::size_t>(in.gcount()));
  return chunk;
}

}  // namespace nbs::jobs
