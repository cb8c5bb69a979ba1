#include "cli/status_report.hpp"

#include "cli/exit_code.hpp"
#include "cli/json_fields.hpp"
#include "cli/progress_display.hpp"

namespace nbs::cli {

namespace json = boost::json;

namespace {

std::vector<std::string> strings_at(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const json::value* v = o.if_contains(key); v != nullptr && v->is_array()) {
    for (const auto& item : v->get_array()) {
      if (item.is_string()) {
        out.emplace_back(item.get_string());
      }
    }
  }
  return out;
}

std::string failure_summary(const json::object& answer, const std::string& elapsed) {
  const std::string id = string_at(answer, "job_id");
  const std::string phase = string_at(answer, "failed_phase");
  const json::value* failure_value = answer.if_contains("failure");
  const json::object* failure =
      failure_value != nullptr && failure_value->is_object() ? &failure_value->get_object() : nullptr;
  std::string out = "FAILED";
  if (failure != nullptr) {
    out += " (" + string_at(*failure, "class") + ")";
  }
  if (!phase.empty()) {
    out += " in the " + phase + " phase";
  }
  out += " after " + elapsed;
  // The failure's one-line summary says more than the phase's error; older daemons send only the latter.
  const std::string summary =
      failure != nullptr ? string_at(*failure, "summary") : string_at(answer, "error");
  if (!summary.empty()) {
    out += ": " + summary;
  }
  if (const std::string location = failure != nullptr ? string_at(*failure, "location") : "";
      !location.empty()) {
    out += " [" + location + "]";
  }
  out += "\n";
  for (const auto& line :
       failure != nullptr ? strings_at(*failure, "evidence") : strings_at(answer, "excerpt")) {
    out += "  | " + line + "\n";
  }
  if (const std::string next = string_at(answer, "next_step"); failure != nullptr && !next.empty()) {
    out += "Next: " + next + "\n";
  }
  out += "The whole log: nbs logs " + id + (phase.empty() ? "" : " --phase " + phase) + "\n";
  return out;
}

}  // namespace

std::string format_summary(const json::object& answer, SystemTime now) {
  const StatusView view = status_view(answer);
  const std::string elapsed = format_elapsed(job_elapsed(view, now));
  if (view.status == "SUCCEEDED") {
    std::string out = "SUCCEEDED in " + elapsed + "\n";
    for (const auto& image : strings_at(answer, "images")) {
      out += "  image:  " + image + "\n";
    }
    if (const std::string digest = string_at(answer, "digest"); !digest.empty()) {
      out += "  digest: " + digest + "\n";
    }
    if (const auto* platforms = answer.if_contains("platforms");
        platforms != nullptr && platforms->is_object()) {
      for (const auto& [platform, digest] : platforms->get_object()) {  // an index: each platform's image
        if (digest.is_string()) {
          out += "    " + std::string(platform) + ": " + std::string(digest.get_string()) + "\n";
        }
      }
    }
    return out;
  }
  if (view.status == "FAILED") {
    return failure_summary(answer, elapsed);
  }
  if (view.status == "KILLED") {
    const std::string error = string_at(answer, "error");
    return "KILLED after " + elapsed + (error.empty() ? "" : ": " + error) + "\n";
  }
  return "still " + progress_text(view) + " after " + elapsed + "\n";
}

std::string format_status(const json::object& answer, SystemTime now) {
  const StatusView view = status_view(answer);
  std::string out;
  auto line = [&out](std::string_view key, const std::string& value) {
    if (!value.empty()) {
      out += std::string(key) + std::string(key.size() < 9 ? 9 - key.size() : 1, ' ') + value + "\n";
    }
  };
  line("job", view.job_id);
  line("status", progress_text(view));
  line("owner", string_at(answer, "owner"));
  line("git_ref", string_at(answer, "git_ref"));
  line("commit", string_at(answer, "commit"));
  if (view.started) {
    const std::string elapsed = format_elapsed(job_elapsed(view, now));
    line("started",
         format_utc(*view.started) + (view.ended ? " (ran " + elapsed + ")" : " (" + elapsed + " ago)"));
  }
  if (is_final_status(view.status)) {
    out += format_summary(answer, now);
  } else {
    line("follow", "nbs watch " + view.job_id);
  }
  return out;
}

}  // namespace nbs::cli
