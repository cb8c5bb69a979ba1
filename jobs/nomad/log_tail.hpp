// The last N lines of a task log without reading the whole log: framed reads from the end in growing
// windows, holding at most one window (capped) in memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/nomad/fs.hpp"

namespace nbs::jobs::nomad {

struct TailOptions {
  std::size_t lines = 100;
  std::size_t initial_window = std::size_t{64} * 1024;    // bytes read from the end at first
  std::size_t max_window = std::size_t{4} * 1024 * 1024;  // the window grows 4× per round up to this
};

struct TailResult {
  std::vector<std::string> lines;    // oldest first, without their newlines
  bool whole_log = false;            // the log is shorter than the last window: nothing precedes lines
  bool truncated = false;            // fewer lines than asked because max_window was reached
  std::uint64_t bytes_received = 0;  // over all rounds, as Nomad sent them (base64 frames)
  std::size_t peak_buffer = 0;       // most log bytes held at once
  int requests = 0;
};

Result<TailResult> tail_lines(Fs& fs, const std::string& alloc_id, const std::string& task,
                              const std::string& type, const TailOptions& options,
                              const QueryOptions& query = {});

// The last `n` complete lines of `text`; when `starts_mid_line`, the first line is a fragment and is
// dropped. Exposed for tests.
std::vector<std::string> last_lines(std::string_view text, std::size_t n, bool starts_mid_line);

}  // namespace nbs::jobs::nomad
