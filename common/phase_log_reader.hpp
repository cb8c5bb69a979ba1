// Turns a byte stream of phase-log lines back into events, chunk by chunk, holding at most one line.
// Lines that are not events (plain container output from test tasks) become `line` events; a torn
// last line (a writer still busy, or killed mid-write) is held back until more bytes or finish().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/phase_log.hpp"

namespace nbs {

class PhaseLogReader {
 public:
  // A line longer than this is cut into pieces, so a runaway writer cannot exhaust memory.
  static constexpr std::size_t k_max_line_bytes = 1 << 20;

  // `plain` fills job, phase and stream of events made from lines that are not events. Plain lines get
  // sequence numbers counted by the reader (their 0-based line number in the stream).
  explicit PhaseLogReader(PhaseEvent plain = {});

  // Appends bytes; returns the events of the lines completed by them.
  std::vector<PhaseEvent> feed(std::string_view bytes);

  // At a known end of stream: the unterminated last line, if it is a whole event or plain text.
  // A torn JSON event (starts with '{' but does not parse) is dropped.
  std::vector<PhaseEvent> finish();

  // Bytes of the stream consumed as complete lines so far: a resume offset.
  std::uint64_t consumed() const { return consumed_; }

 private:
  PhaseEvent parse_line(std::string_view line);

  PhaseEvent plain_;
  std::string partial_;
  std::uint64_t consumed_ = 0;
  std::uint64_t lines_ = 0;
};

}  // namespace nbs
