// TaskEvents as Nomad's client emits them (ref §2.6): type strings, DisplayMessage texts and the
// Details map that mirrors the deprecated flat fields.
#pragma once

#include <chrono>
#include <string>

#include "tests/nomad_sim/model.hpp"

namespace nbs::nomad_sim {

TaskEvent event_received();
TaskEvent event_task_setup();
TaskEvent event_started();
TaskEvent event_terminated(int exit_code, int signal);
TaskEvent event_killing(std::chrono::nanoseconds kill_timeout, const std::string& kill_signal);
TaskEvent event_killed();
TaskEvent event_restarting(std::chrono::nanoseconds delay);
// `reason`: "Policy allows no restarts", "Error was unrecoverable", or the attempts text.
TaskEvent event_not_restarting(const std::string& reason);
TaskEvent event_driver_failure(const std::string& error);
TaskEvent event_setup_failure(const std::string& error);
TaskEvent event_failed_validation(const std::string& error);
TaskEvent event_sibling_failed(const std::string& sibling);

}  // namespace nbs::nomad_sim
