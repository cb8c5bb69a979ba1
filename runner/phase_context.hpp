// What every phase of the runner gets: the spec, the log, the stop request and the deadline, and the
// outcome it returns.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/failure.hpp"
#include "common/phase_log_writer.hpp"
#include "common/process.hpp"
#include "common/process_stop.hpp"
#include "common/runner_spec.hpp"
#include "runner/exit_code.hpp"

namespace nbs::runner {

enum class AllowRoot { no, yes };

// Transient registry errors are retried with a capped exponential backoff.
struct RetryPolicy {
  int attempts = 4;
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{8000};
};

struct RunnerOptions {
  AllowRoot allow_root = AllowRoot::no;
  std::string buildah = "buildah";
  RetryPolicy retry;
  // On SIGTERM during a push or publish, the current operation may finish within this grace.
  std::chrono::milliseconds push_stop_grace{30000};
  std::chrono::milliseconds kill_grace{10000};
};

struct PhaseOutcome {
  ExitCode code = ExitCode::ok;
  std::string message;  // phase_end text after the code's name
};

class PhaseContext {
 public:
  PhaseContext(const RunnerSpec& spec, PhaseLogWriter& log, const ProcessStop& stop, RunnerOptions options);

  const RunnerSpec& spec() const { return spec_; }
  PhaseLogWriter& log() const { return log_; }
  const ProcessStop& stop() const { return stop_; }
  const RunnerOptions& options() const { return options_; }
  std::optional<std::chrono::steady_clock::time_point> deadline() const { return deadline_; }

  bool stop_requested() const { return stop_.requested(); }
  bool deadline_passed() const;
  // killed or deadline when either applies, else `failure`.
  ExitCode failure_code(ExitCode failure) const;
  // Ends the phase in failure: logs the error event tagged with its class (killed or deadline when a
  // stop or the deadline is the reason) and the place it concerns, and returns the outcome.
  PhaseOutcome fail(ExitCode code, FailureClass failure_class, const std::string& message,
                    std::optional<int> exit_status = std::nullopt, std::string_view location = {}) const;
  // Options for a child: the deadline, the stop request, and the grace before SIGKILL.
  RunOptions run_options(std::chrono::milliseconds stop_delay = std::chrono::milliseconds(0)) const;
  // Sleeps up to `d`; false when a stop or the deadline cut it short.
  bool sleep_for(std::chrono::milliseconds d) const;

 private:
  const RunnerSpec& spec_;
  PhaseLogWriter& log_;
  const ProcessStop& stop_;
  RunnerOptions options_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

}  // namespace nbs::runner
