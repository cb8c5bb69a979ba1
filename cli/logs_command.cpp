#include "cli/logs_command.hpp"

#include <boost/json/serialize.hpp>

#include "cli/json_fields.hpp"

namespace nbs::cli {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr int k_max_grep_pages = 1000;

bool truncated(const json::object& page) {
  const json::value* v = page.if_contains("truncated");
  return v != nullptr && v->is_bool() && v->get_bool();
}

// Prints a page; returns the number of lines in it.
std::size_t print_page(Console& console, const json::object& page) {
  if (console.json()) {
    console.out << json::serialize(page) << std::endl;
  }
  std::size_t n = 0;
  if (const json::value* lines = page.if_contains("lines"); lines != nullptr && lines->is_array()) {
    for (const auto& line : lines->get_array()) {
      if (!console.json()) {
        console.out << (line.is_string() ? std::string_view(line.get_string()) : std::string_view()) << "\n";
      }
      ++n;
    }
  }
  console.out << std::flush;
  return n;
}

Result<json::object> fetch(const DaemonClient& client, const std::string& job_id, const QueryParams& params) {
  auto answer = client.logs(job_id, params);
  if (!answer) {
    return answer.error();
  }
  if (!answer->is_object()) {
    return make_error(ErrorKind::internal, "getLogs: the answer is not a JSON object");
  }
  return std::move(answer->get_object());
}

// The grep mode's parameters when --grep was given; false otherwise.
bool add_grep_params(QueryParams& params, const LogsOptions& options) {
  if (options.grep.empty()) {
    return false;
  }
  params.emplace_back("mode", "grep");
  params.emplace_back("pattern", options.grep);
  if (options.context) {
    params.emplace_back("context_lines", std::to_string(*options.context));
  }
  return true;
}

// A follow page: from `cursor` on (range mode, or grep mode with --grep).
QueryParams follow_query(const LogsOptions& options, const std::string& cursor) {
  QueryParams params;
  params.emplace_back("phase", options.phase);
  if (!options.task.empty()) {
    params.emplace_back("task", options.task);
  }
  if (!add_grep_params(params, options)) {
    params.emplace_back("mode", "range");
  }
  if (!cursor.empty()) {
    params.emplace_back("cursor", cursor);
  }
  return params;
}

ExitCode grep_pages(const DaemonClient& client, Console& console, const LogsOptions& options,
                    json::object page) {
  for (int i = 0; i < k_max_grep_pages && truncated(page) && !string_at(page, "next_cursor").empty(); ++i) {
    LogsOptions same_phase = options;
    same_phase.phase = string_at(page, "phase");
    auto next = fetch(client, options.job_id, follow_query(same_phase, string_at(page, "next_cursor")));
    if (!next) {
      return report_error(console, next.error());
    }
    page = std::move(*next);
    print_page(console, page);
  }
  return ExitCode::ok;
}

// The phase --follow reads: the one asked for, else the job's current (or failed) phase.
Result<std::string> follow_phase(const DaemonClient& client, const LogsOptions& options, bool& job_final) {
  auto status = client.status(options.job_id, 0);
  if (!status) {
    return status.error();
  }
  const json::object* answer = status->if_object();
  job_final = answer != nullptr && is_final_status(string_at(*answer, "status"));
  if (!options.phase.empty() || answer == nullptr) {
    return options.phase.empty() ? std::string("build") : options.phase;
  }
  for (auto key : {"phase", "failed_phase"}) {
    if (std::string phase = string_at(*answer, key); !phase.empty()) {
      return phase;
    }
  }
  return std::string("build");
}

ExitCode follow_logs(const DaemonClient& client, Console& console, const LogsOptions& asked) {
  bool job_final = false;
  auto phase = follow_phase(client, asked, job_final);
  if (!phase) {
    return report_error(console, phase.error());
  }
  LogsOptions options = asked;
  options.phase = *phase;
  std::string cursor;
  if (options.tail && options.grep.empty()) {
    // The last lines first; the tail's cursor then points at the end of the log.
    auto page = fetch(client, options.job_id, first_log_query(options));
    if (page) {
      print_page(console, *page);
      cursor = string_at(*page, "next_cursor");
      if (cursor.empty()) {
        return ExitCode::ok;
      }
    } else if (page.error().kind != ErrorKind::not_found || job_final) {
      return report_error(console, page.error());
    }
  }
  while (true) {
    auto page = fetch(client, options.job_id, follow_query(options, cursor));
    if (!page) {
      // The job exists (follow_phase saw it), so not_found means the phase has not started yet.
      if (page.error().kind != ErrorKind::not_found || job_final) {
        return report_error(console, page.error());
      }
    } else {
      const std::size_t lines = print_page(console, *page);
      cursor = string_at(*page, "next_cursor");
      if (cursor.empty()) {
        return ExitCode::ok;  // the phase ended and every line has been read
      }
      if (lines > 0 || truncated(*page)) {
        continue;
      }
      if (job_final) {
        return ExitCode::ok;  // the job had ended before this page: nothing more will come
      }
    }
    auto status = client.status(options.job_id, 0);
    if (!status) {
      return report_error(console, status.error());
    }
    job_final = status->is_object() && is_final_status(string_at(status->get_object(), "status"));
    if (!job_final) {
      console.pause(1s);
    }
  }
}

}  // namespace

QueryParams first_log_query(const LogsOptions& options) {
  QueryParams params;
  if (!options.phase.empty()) {
    params.emplace_back("phase", options.phase);
  }
  if (!options.task.empty()) {
    params.emplace_back("task", options.task);
  }
  if (!add_grep_params(params, options)) {
    params.emplace_back("mode", "tail");
    if (options.tail) {
      params.emplace_back("tail_lines", std::to_string(*options.tail));
    }
  }
  return params;
}

ExitCode logs_command(const DaemonClient& client, Console& console, const LogsOptions& options) {
  if (options.follow == Follow::yes) {
    return follow_logs(client, console, options);
  }
  auto page = fetch(client, options.job_id, first_log_query(options));
  if (!page) {
    return report_error(console, page.error());
  }
  print_page(console, *page);
  if (!options.grep.empty()) {
    return grep_pages(client, console, options, std::move(*page));
  }
  return ExitCode::ok;
}

}  // namespace nbs::cli
