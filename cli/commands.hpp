// The commands of `nbs` other than logs (logs_command.hpp): each talks to the daemon through
// DaemonClient, writes through Console, and returns the process exit code (exit_code.hpp).
#pragma once

#include <optional>
#include <string>

#include "cli/console.hpp"
#include "cli/daemon_client.hpp"
#include "cli/job_file.hpp"
#include "cli/watch.hpp"

namespace nbs::cli {

enum class Watch { no, yes };

struct SubmitOptions {
  JobFileOptions job;
  Watch watch = Watch::no;
  WatchOptions watching;
};

// Reads and merges the job files, sends submitJob, prints the job id (or the answer); with Watch::yes
// follows the job and exits with its outcome. Local file errors and the daemon's field errors: usage.
ExitCode submit_command(const DaemonClient& client, Console& console, const SubmitOptions& options);

// getStatus once (exit ok whatever the status), or with `wait` follows the job up to that long and
// exits with its outcome (still_running when the time ran out first).
ExitCode status_command(const DaemonClient& client, Console& console, const std::string& job_id,
                        std::optional<WatchOptions> wait);

ExitCode kill_command(const DaemonClient& client, Console& console, const std::string& job_id);

// One job's phases (job_id), or every orphan (job_id empty).
ExitCode cleanup_command(const DaemonClient& client, Console& console, const std::string& job_id);

struct HistoryOptions {
  std::string owner;
  std::optional<int> limit;
  std::optional<int> offset;
};
ExitCode history_command(const DaemonClient& client, Console& console, const HistoryOptions& options);

// /health and /ready: ok when the daemon is alive and ready, unavailable otherwise.
ExitCode health_command(const DaemonClient& client, Console& console);

}  // namespace nbs::cli
