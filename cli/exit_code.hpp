// The exit codes of `nbs` (listed in `nbs --help` and cli/README.md): the outcome of the job for
// the commands that wait for one, otherwise whether the command worked, and why not.
#pragma once

#include <string_view>

#include "common/error.hpp"

namespace nbs::cli {

enum class ExitCode : int {
  ok = 0,             // the job SUCCEEDED, or a command that does not wait worked
  job_failed = 1,     // the job FAILED
  usage = 2,          // bad command line, unreadable or invalid job file, request rejected as invalid
  job_killed = 3,     // the job was KILLED
  unavailable = 4,    // the daemon could not be reached, refused the token, or answered with an HTTP error
  not_found = 5,      // no such job (or no such phase in its logs)
  still_running = 6,  // status --wait ended before the job did
};

constexpr int to_int(ExitCode code) {
  return static_cast<int>(code);
}

// invalid_argument → usage, not_found → not_found, every other kind → unavailable.
ExitCode exit_code_for(const Error& error);

// SUCCEEDED → ok, FAILED → job_failed, KILLED → job_killed, any other status → still_running.
ExitCode exit_code_for_status(std::string_view status);

// Whether a job status is final (SUCCEEDED, FAILED or KILLED).
bool is_final_status(std::string_view status);

// The table printed at the end of `nbs --help`.
std::string_view exit_code_help();

}  // namespace nbs::cli
