#include "cli/exit_code.hpp"

namespace nbs::cli {

ExitCode exit_code_for(const Error& error) {
  switch (error.kind) {
    case ErrorKind::invalid_argument:
      return ExitCode::usage;
    case ErrorKind::not_found:
      return ExitCode::not_found;
    default:
      return ExitCode::unavailable;
  }
}

ExitCode exit_code_for_status(std::string_view status) {
  if (status == "SUCCEEDED") {
    return ExitCode::ok;
  }
  if (status == "FAILED") {
    return ExitCode::job_failed;
  }
  if (status == "KILLED") {
    return ExitCode::job_killed;
  }
  return ExitCode::still_running;
}

bool is_final_status(std::string_view status) {
  return status == "SUCCEEDED" || status == "FAILED" || status == "KILLED";
}

std::string_view exit_code_help() {
  return "Exit codes:\n"
         "  0  the job SUCCEEDED (submit --watch, status --wait), or the command worked\n"
         "  1  the job FAILED\n"
         "  2  usage error, unreadable or invalid job file, or a request the daemon rejected as invalid\n"
         "  3  the job was KILLED\n"
         "  4  the daemon is unreachable, refused the token, or answered with an HTTP error\n"
         "  5  no such job (or the phase has no logs)\n"
         "  6  status --wait ended while the job was still running\n";
}

}  // namespace nbs::cli
