#include "runner/phase_context.hpp"

#include <poll.h>

namespace nbs::runner {

PhaseContext::PhaseContext(const RunnerSpec& spec, PhaseLogWriter& log, const ProcessStop& stop,
                           RunnerOptions options)
    : spec_(spec), log_(log), stop_(stop), options_(std::move(options)) {
  // The spec's deadline is wall-clock UTC; the runner measures against the monotonic clock from now.
  if (spec.deadline) {
    auto left = *spec.deadline - now_utc();
    deadline_ =
        std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::milliseconds>(left);
  }
}

bool PhaseContext::deadline_passed() const {
  return deadline_ && std::chrono::steady_clock::now() >= *deadline_;
}

ExitCode PhaseContext::failure_code(ExitCode failure) const {
  if (stop_requested()) {
    return ExitCode::killed;
  }
  if (deadline_passed()) {
    return ExitCode::deadline;
  }
  return failure;
}

PhaseOutcome PhaseContext::fail(ExitCode code, FailureClass failure_class, const std::string& message,
                                std::optional<int> exit_status, std::string_view location) const {
  code = failure_code(code);
  if (code == ExitCode::killed) {
    failure_class = FailureClass::killed;
  } else if (code == ExitCode::deadline) {
    failure_class = FailureClass::deadline;
  }
  log_.error(message, exit_status, to_string(failure_class), location);
  return {code, message};
}

RunOptions PhaseContext::run_options(std::chrono::milliseconds stop_delay) const {
  return RunOptions{
      .deadline = deadline_, .stop = &stop_, .stop_delay = stop_delay, .kill_grace = options_.kill_grace};
}

bool PhaseContext::sleep_for(std::chrono::milliseconds d) const {
  auto end = std::chrono::steady_clock::now() + d;
  if (deadline_ && *deadline_ < end) {
    end = *deadline_;
  }
  while (!stop_requested()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return !deadline_passed();
    }
    pollfd p{.fd = stop_.fd(), .events = POLLIN, .revents = 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 200)));
  }
  return false;
}

}  // namespace nbs::runner
