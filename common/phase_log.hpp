// Phase-log events: what nbs-runner prints, one JSON object per line, and what getLogs reads back.
// The format lives here so that writer and reader cannot drift apart (see DESIGN.md "Phase logs").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace nbs {

enum class EventKind { phase_start, step, line, error, result, phase_end };
enum class LogStream { none, out, err };  // "stdout" / "stderr" on the wire

std::string_view to_string(EventKind kind);
std::string_view to_string(LogStream stream);
std::optional<EventKind> parse_event_kind(std::string_view text);

struct PhaseEvent {
  std::string ts;  // UTC ISO 8601 with milliseconds
  std::string job;
  std::string phase;
  std::uint64_t seq = 0;
  EventKind kind = EventKind::line;
  LogStream stream = LogStream::none;  // line events
  std::string text;
  int step = 0;  // step events: "STEP step/steps"
  int steps = 0;
  std::string stage;  // step events: the build stage's label ("builder", "2"); "" in a one-stage build
  std::optional<int> exit_code;             // error and phase_end events
  std::string digest;                       // result events
  std::optional<std::int64_t> duration_ms;  // phase_end events
  std::string failure_class;                // error events: the FailureClass (common/failure.hpp)
  std::string location;                     // error events: "Dockerfile:3" when the cause has a place

  friend bool operator==(const PhaseEvent&, const PhaseEvent&) = default;
};

// One JSON object, no trailing newline. Fields that do not apply to the kind are left out.
std::string to_json_line(const PhaseEvent& event);

// Parses one line written by to_json_line(); errors name the offending field.
Result<PhaseEvent> parse_phase_event(std::string_view line);

// For a person at a terminal: "18:54:44.123 build STEP 2/5: RUN make", "… stderr| text", ….
std::string to_text(const PhaseEvent& event);

}  // namespace nbs
