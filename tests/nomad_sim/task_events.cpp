#include "tests/nomad_sim/task_events.hpp"

#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

TaskEvent make(std::string type, std::string display) {
  TaskEvent e;
  e.type = std::move(type);
  e.time = now_ns();
  e.display_message = std::move(display);
  return e;
}

}  // namespace

TaskEvent event_received() {
  return make("Received", "Task received by client");
}

TaskEvent event_task_setup() {
  TaskEvent e = make("Task Setup", "Building Task Directory");
  e.message = "Building Task Directory";
  e.details["message"] = e.message;
  return e;
}

TaskEvent event_started() {
  return make("Started", "Task started by client");
}

TaskEvent event_terminated(int exit_code, int signal) {
  std::string display = "Exit Code: " + std::to_string(exit_code);
  if (signal != 0) {
    display += ", Signal: " + std::to_string(signal);
  }
  TaskEvent e = make("Terminated", display);
  e.exit_code = exit_code;
  e.signal = signal;
  e.details = {{"exit_code", std::to_string(exit_code)},
               {"signal", std::to_string(signal)},
               {"oom_killed", "false"},
               {"exit_message", ""}};
  return e;
}

TaskEvent event_killing(std::chrono::nanoseconds kill_timeout, const std::string& kill_signal) {
  const std::string what = kill_signal.empty() || kill_signal == "SIGINT" ? "interrupt" : kill_signal;
  TaskEvent e = make(
      "Killing", "Sent " + what + ". Waiting " + format_go_duration(kill_timeout) + " before force killing");
  e.kill_timeout = kill_timeout.count();
  e.details["kill_timeout"] = format_go_duration(kill_timeout);
  return e;
}

TaskEvent event_killed() {
  return make("Killed", "Task successfully killed");
}

TaskEvent event_restarting(std::chrono::nanoseconds delay) {
  TaskEvent e = make("Restarting", "Task restarting in " + format_go_duration(delay));
  e.restart_reason = "Restart within policy";
  e.start_delay = delay.count();
  e.details = {{"restart_reason", e.restart_reason}, {"start_delay", std::to_string(delay.count())}};
  return e;
}

TaskEvent event_not_restarting(const std::string& reason) {
  TaskEvent e = make("Not Restarting", reason);
  e.restart_reason = reason;
  e.fails_task = true;
  e.details = {{"restart_reason", reason}, {"fails_task", "true"}};
  return e;
}

TaskEvent event_driver_failure(const std::string& error) {
  TaskEvent e = make("Driver Failure", error);
  e.driver_error = error;
  e.details["driver_error"] = error;
  return e;
}

TaskEvent event_setup_failure(const std::string& error) {
  TaskEvent e = make("Setup Failure", error);
  e.setup_error = error;
  e.fails_task = true;
  e.details = {{"setup_error", error}, {"fails_task", "true"}};
  return e;
}

TaskEvent event_failed_validation(const std::string& error) {
  TaskEvent e = make("Failed Validation", error);
  e.validation_error = error;
  e.fails_task = true;
  e.details = {{"validation_error", error}, {"fails_task", "true"}};
  return e;
}

TaskEvent event_sibling_failed(const std::string& sibling) {
  TaskEvent e = make("Sibling Task Failed", "Task's sibling \"" + sibling + "\" failed");
  e.failed_sibling = sibling;
  e.details["failed_sibling"] = sibling;
  return e;
}

}  // namespace nbs::nomad_sim
