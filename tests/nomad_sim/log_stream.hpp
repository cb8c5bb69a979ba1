// Reads a task's rotated log files (ref §2.11) as one stream: the offset addresses the concatenation
// of the rotation files on disk; framed mode emits concatenated StreamFrame JSON objects with base64
// Data and FileEvent frames, plain mode the raw bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tests/nomad_sim/http_types.hpp"

namespace nbs::nomad_sim {

struct LogStreamOptions {
  std::filesystem::path logs_dir;  // <alloc dir>/alloc/logs
  std::string task;
  std::string type;  // stdout | stderr
  bool origin_end = false;
  std::int64_t offset = 0;
  bool follow = false;
  bool plain = false;
};

// (N, size) of each "<task>.<type>.<N>" in `dir`, by N.
std::vector<std::pair<int, std::uint64_t>> list_log_files(const std::filesystem::path& dir,
                                                          const std::string& task, const std::string& type);

class LogStream : public ByteStream {
 public:
  // Requires at least one log file to exist (the endpoint answers 404 otherwise).
  explicit LogStream(LogStreamOptions options);

  std::string poll() override;
  bool finished() const override { return !options_.follow && at_end_; }
  std::string heartbeat() const override { return options_.plain ? std::string() : std::string("{}"); }

 private:
  std::filesystem::path file_path(int n) const;
  std::string file_name(int n) const;
  // Smallest existing rotation index above `n`, or -1.
  int next_file(int n) const;
  std::string frame(const std::string& data) const;
  std::string file_event(const char* event) const;

  LogStreamOptions options_;
  int current_ = 0;
  std::uint64_t offset_ = 0;
  bool at_end_ = false;
};

}  // namespace nbs::nomad_sim
