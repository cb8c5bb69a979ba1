// Following a job to its end (submit --watch, status --wait, watch): getStatus long-polls in a loop and
// the progress display shows each answer.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "cli/console.hpp"
#include "cli/daemon_client.hpp"

namespace nbs::cli {

struct WatchOptions {
  int poll_seconds = 30;                      // wait_seconds of each getStatus
  std::optional<std::chrono::seconds> limit;  // stop waiting after this long; nullopt: until the job ends
  // When a daemon that answered before stops answering, keep retrying this long (it may be restarting).
  std::chrono::seconds reconnect_for{60};
};

// Returns the last getStatus answer: a final one, or the one in hand when `limit` passed. Human output
// shows the progress of a running job on console.out (nothing under --json); the caller prints the
// summary, which takes the place of the live line. Fails with the daemon's error (a
// job that does not exist: not_found).
Result<boost::json::object> watch_job(const DaemonClient& client, Console& console, const std::string& job_id,
                                      const WatchOptions& options);

}  // namespace nbs::cli
