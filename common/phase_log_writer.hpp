// Writes phase-log events with increasing `seq` and the current time, as JSON lines or as text for a
// person, masking secrets in every text. Thread-safe: a runner may report from several threads.
#pragma once

#include <functional>
#include <mutex>

#include "common/clock.hpp"
#include "common/phase_log.hpp"
#include "common/secret_masker.hpp"

namespace nbs {

enum class LogFormat { json, text };

class PhaseLogWriter {
 public:
  // Receives each finished line, newline included.
  using Sink = std::function<void(std::string_view line)>;
  using Clock = std::function<SystemTime()>;

  PhaseLogWriter(Sink sink, std::string job, std::string phase, LogFormat format, Clock clock = now_utc);

  // A sink that writes to a C stream and flushes after each line (a reader may be tailing the file).
  static Sink file_sink(std::FILE* out);

  void add_secret(std::string_view secret);
  // `text` with every secret added so far masked, for what goes elsewhere than the log (a result file).
  std::string mask(std::string_view text);

  void phase_start(std::string_view text = {});
  void line(LogStream stream, std::string_view text);
  void step(int step, int steps, std::string_view text, std::string_view stage = {});
  // `failure_class` and `location` tag the error that ends the phase (see common/failure.hpp).
  void error(std::string_view text, std::optional<int> exit_code = std::nullopt,
             std::string_view failure_class = {}, std::string_view location = {});
  void result(std::string_view digest, std::string_view text);
  void phase_end(int exit_code, std::string_view text, std::int64_t duration_ms);

 private:
  void emit(PhaseEvent event);

  std::mutex mutex_;
  Sink sink_;
  std::string job_;
  std::string phase_;
  LogFormat format_;
  Clock clock_;
  SecretMasker masker_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace nbs
