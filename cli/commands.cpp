#include "cli/commands.hpp"

#include <boost/json/serialize.hpp>

#include "cli/error_report.hpp"
#include "cli/history_table.hpp"
#include "cli/json_fields.hpp"
#include "cli/status_report.hpp"

namespace nbs::cli {

namespace json = boost::json;

namespace {

void print_json(Console& console, const json::value& answer) {
  console.out << json::serialize(answer) << std::endl;
}

Result<json::object> object_answer(Result<json::value> answer, std::string_view tool) {
  if (!answer) {
    return answer.error();
  }
  if (!answer->is_object()) {
    return make_error(ErrorKind::internal, std::string(tool) + ": the daemon's answer is not a JSON object");
  }
  return std::move(answer->get_object());
}

// The end of a watched job: its summary (or the answer under --json), and its outcome as the exit code.
ExitCode finish_watch(Console& console, const json::object& answer) {
  if (console.json()) {
    print_json(console, answer);
  } else {
    console.out << format_summary(answer, now_utc()) << std::flush;
  }
  return exit_code_for_status(string_at(answer, "status"));
}

}  // namespace

ExitCode submit_command(const DaemonClient& client, Console& console, const SubmitOptions& options) {
  auto job = load_job(options.job, console.in);
  if (!job) {
    return report_error(console, job.error());
  }
  auto answer =
      object_answer(client.call("submitJob", json::object{{"job_config", std::move(*job)}}), "submitJob");
  if (!answer) {
    return report_error(console, answer.error(), "the daemon rejected the job");
  }
  const std::string id = string_at(*answer, "job_id");
  if (options.watch == Watch::no) {
    if (console.json()) {
      print_json(console, *answer);
    } else {
      console.out << id << std::endl;
    }
    return ExitCode::ok;
  }
  if (!console.json()) {
    console.out << "job " << id << std::endl;
  }
  auto last = watch_job(client, console, id, options.watching);
  if (!last) {
    return report_error(console, last.error());
  }
  return finish_watch(console, *last);
}

ExitCode status_command(const DaemonClient& client, Console& console, const std::string& job_id,
                        std::optional<WatchOptions> wait) {
  if (wait) {
    auto last = watch_job(client, console, job_id, *wait);
    if (!last) {
      return report_error(console, last.error());
    }
    return finish_watch(console, *last);
  }
  auto answer = object_answer(client.status(job_id, 0), "getStatus");
  if (!answer) {
    return report_error(console, answer.error());
  }
  if (console.json()) {
    print_json(console, *answer);
  } else {
    console.out << format_status(*answer, now_utc()) << std::flush;
  }
  return ExitCode::ok;
}

ExitCode kill_command(const DaemonClient& client, Console& console, const std::string& job_id) {
  auto answer = object_answer(client.call("killJob", json::object{{"job_id", job_id}}), "killJob");
  if (!answer) {
    return report_error(console, answer.error());
  }
  if (console.json()) {
    print_json(console, *answer);
    return ExitCode::ok;
  }
  const json::value* requested = answer->if_contains("kill_requested");
  const std::string status = string_at(*answer, "status");
  if (requested != nullptr && requested->is_bool() && requested->get_bool()) {
    console.out << "stopping job " << job_id << " (" << status << "); `nbs status " << job_id
                << " --wait 60` shows when it is KILLED" << std::endl;
  } else {
    console.out << "job " << job_id << " had already ended (" << status << ")" << std::endl;
  }
  return ExitCode::ok;
}

ExitCode cleanup_command(const DaemonClient& client, Console& console, const std::string& job_id) {
  json::object body = job_id.empty() ? json::object{{"all", true}} : json::object{{"job_id", job_id}};
  auto answer = object_answer(client.call("cleanup", body), "cleanup");
  if (!answer) {
    return report_error(console, answer.error());
  }
  if (console.json()) {
    print_json(console, *answer);
    return ExitCode::ok;
  }
  const json::value* removed = answer->if_contains("removed");
  const std::size_t n = removed != nullptr && removed->is_array() ? removed->get_array().size() : 0;
  console.out << "removed " << n << (n == 1 ? " phase" : " phases") << "\n";
  if (n > 0) {
    for (const auto& item : removed->get_array()) {
      console.out << "  " << (item.is_string() ? std::string(item.get_string()) : json::serialize(item))
                  << "\n";
    }
  }
  console.out << std::flush;
  return ExitCode::ok;
}

ExitCode history_command(const DaemonClient& client, Console& console, const HistoryOptions& options) {
  json::object body;
  if (!options.owner.empty()) {
    body["owner"] = options.owner;
  }
  if (options.limit) {
    body["limit"] = *options.limit;
  }
  if (options.offset) {
    body["offset"] = *options.offset;
  }
  auto answer = object_answer(client.call("getHistory", body), "getHistory");
  if (!answer) {
    return report_error(console, answer.error());
  }
  if (console.json()) {
    print_json(console, *answer);
  } else {
    console.out << format_history(*answer, options.offset.value_or(0)) << std::flush;
  }
  return ExitCode::ok;
}

ExitCode health_command(const DaemonClient& client, Console& console) {
  auto health = object_answer(client.get("/health"), "/health");
  if (!health) {
    return report_error(console, health.error());
  }
  auto ready = object_answer(client.get("/ready"), "/ready");
  if (console.json()) {
    print_json(console,
               json::object{{"url", client.url()},
                            {"health", *health},
                            {"ready", ready ? json::value(*ready) : json::value(error_json(ready.error()))}});
  } else {
    const std::string version = string_at(*health, "version");
    console.out << "nbs-mcpd " << (version.empty() ? "" : version + " ") << "at " << client.url()
                << ": alive, " << (ready ? "ready" : "not ready: " + ready.error().message) << std::endl;
  }
  return ready ? ExitCode::ok : ExitCode::unavailable;
}

}  // namespace nbs::cli
