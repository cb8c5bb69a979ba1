#include "common/phase_log_reader.hpp"

namespace nbs {

PhaseLogReader::PhaseLogReader(PhaseEvent plain) : plain_(std::move(plain)) {
  plain_.kind = EventKind::line;
}

std::vector<PhaseEvent> PhaseLogReader::feed(std::string_view bytes) {
  std::vector<PhaseEvent> events;
  while (!bytes.empty()) {
    const std::size_t nl = bytes.find('\n');
    const std::size_t room = k_max_line_bytes - partial_.size();
    if (nl == std::string_view::npos || nl > room) {
      const std::size_t take = std::min(bytes.size(), room);
      partial_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      if (partial_.size() == k_max_line_bytes) {
        events.push_back(parse_line(partial_));
        consumed_ += partial_.size();
        partial_.clear();
      }
      continue;
    }
    partial_.append(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
    events.push_back(parse_line(partial_));
    consumed_ += partial_.size() + 1;
    partial_.clear();
  }
  return events;
}

std::vector<PhaseEvent> PhaseLogReader::finish() {
  std::vector<PhaseEvent> events;
  if (!partial_.empty()) {
    const bool torn_event = partial_.front() == '{' && !parse_phase_event(partial_);
    if (!torn_event) {
      events.push_back(parse_line(partial_));
      consumed_ += partial_.size();
    }
    partial_.clear();
  }
  return events;
}

PhaseEvent PhaseLogReader::parse_line(std::string_view line) {
  const std::uint64_t number = lines_++;
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  if (!line.empty() && line.front() == '{') {
    if (auto event = parse_phase_event(line)) {
      return std::move(*event);
    }
  }
  PhaseEvent e = plain_;
  e.seq = number;
  e.text = std::string(line);
  return e;
}

}  // namespace nbs
