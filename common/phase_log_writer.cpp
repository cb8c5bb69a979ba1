#include "common/phase_log_writer.hpp"

#include <cstdio>

namespace nbs {

PhaseLogWriter::PhaseLogWriter(Sink sink, std::string job, std::string phase, LogFormat format, Clock clock)
    : sink_(std::move(sink)),
      job_(std::move(job)),
      phase_(std::move(phase)),
      format_(format),
      clock_(std::move(clock)) {}

PhaseLogWriter::Sink PhaseLogWriter::file_sink(std::FILE* out) {
  return [out](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), out);
    std::fflush(out);
  };
}

void PhaseLogWriter::add_secret(std::string_view secret) {
  std::lock_guard lock(mutex_);
  masker_.add(secret);
}

std::string PhaseLogWriter::mask(std::string_view text) {
  std::lock_guard lock(mutex_);
  return masker_.mask(text);
}

void PhaseLogWriter::phase_start(std::string_view text) {
  emit({.kind = EventKind::phase_start, .text = std::string(text)});
}

void PhaseLogWriter::line(LogStream stream, std::string_view text) {
  emit({.kind = EventKind::line, .stream = stream, .text = std::string(text)});
}

void PhaseLogWriter::step(int step, int steps, std::string_view text, std::string_view stage) {
  emit({.kind = EventKind::step,
        .text = std::string(text),
        .step = step,
        .steps = steps,
        .stage = std::string(stage)});
}

void PhaseLogWriter::error(std::string_view text, std::optional<int> exit_code,
                           std::string_view failure_class, std::string_view location) {
  emit({.kind = EventKind::error,
        .text = std::string(text),
        .exit_code = exit_code,
        .failure_class = std::string(failure_class),
        .location = std::string(location)});
}

void PhaseLogWriter::result(std::string_view digest, std::string_view text) {
  emit({.kind = EventKind::result, .text = std::string(text), .digest = std::string(digest)});
}

void PhaseLogWriter::phase_end(int exit_code, std::string_view text, std::int64_t duration_ms) {
  emit({.kind = EventKind::phase_end,
        .text = std::string(text),
        .exit_code = exit_code,
        .duration_ms = duration_ms});
}

void PhaseLogWriter::emit(PhaseEvent event) {
  std::lock_guard lock(mutex_);
  event.ts = format_utc(clock_());
  event.job = job_;
  event.phase = phase_;
  event.seq = next_seq_++;
  if (!masker_.empty()) {
    event.text = masker_.mask(event.text);
  }
  std::string out = format_ == LogFormat::json ? to_json_line(event) : to_text(event);
  out += '\n';
  sink_(out);
}

}  // namespace nbs
