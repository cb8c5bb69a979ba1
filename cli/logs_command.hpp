// `nbs logs`: one page of a phase's log (the last lines, or the lines matching --grep), or --follow:
// pages from a cursor until the phase ends.
#pragma once

#include <optional>
#include <string>

#include "cli/console.hpp"
#include "cli/daemon_client.hpp"

namespace nbs::cli {

enum class Follow { no, yes };

struct LogsOptions {
  std::string job_id;
  std::string phase;  // "": the daemon's default (the failed or current phase)
  std::string task;   // "": every task of the phase
  std::optional<int> tail;
  std::string grep;  // "": no search
  std::optional<int> context;
  Follow follow = Follow::no;
};

// The getLogs parameters of a single page: mode tail (tail_lines) or grep (pattern, context_lines).
QueryParams first_log_query(const LogsOptions& options);

// Prints each line as the daemon returns it (--json: each answer as one JSON document per line). A grep
// continues while the daemon says the answer was cut short. Exit codes: ok, or the error's.
ExitCode logs_command(const DaemonClient& client, Console& console, const LogsOptions& options);

}  // namespace nbs::cli
