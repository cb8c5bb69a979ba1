// Fuzzes the phase-log reader with arbitrary bytes split at an arbitrary point: no crash, every event
// it returns serialises to a canonical line that parses back to the same line, and consumed() never
// exceeds the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/phase_log_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  nbs::PhaseLogReader reader(nbs::PhaseEvent{.job = "j", .phase = "test", .stream = nbs::LogStream::out});
  auto events = reader.feed(bytes.substr(0, cut));
  auto more = reader.feed(bytes.substr(cut));
  auto last = reader.finish();
  events.insert(events.end(), more.begin(), more.end());
  events.insert(events.end(), last.begin(), last.end());
  if (reader.consumed() > size) {
    std::abort();
  }
  for (const auto& event : events) {
    if (!event.ts.empty()) {
      const std::string line = nbs::to_json_line(event);
      auto again = nbs::parse_phase_event(line);
      if (!again || nbs::to_json_line(*again) != line) {
        std::abort();
      }
    }
  }
  return 0;
}
