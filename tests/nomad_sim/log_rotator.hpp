// Writes one task stream to alloc/logs/<task>.<stdout|stderr>.<N> as Nomad's logmon does: a new file
// once the current one reaches the size limit, the oldest removed beyond MaxFiles.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace nbs::nomad_sim {

class LogRotator {
 public:
  // `base` is "<task>.stdout" or "<task>.stderr"; the first file is created at once.
  LogRotator(std::filesystem::path dir, std::string base, std::uint64_t max_bytes, int max_files);
  ~LogRotator();
  LogRotator(const LogRotator&) = delete;
  LogRotator& operator=(const LogRotator&) = delete;

  // Appends, splitting across files at the size limit. Write errors are dropped (as logmon does).
  void write(std::string_view data);

 private:
  void open_next();

  std::filesystem::path dir_;
  std::string base_;
  std::uint64_t max_bytes_;
  int max_files_;
  int index_ = -1;
  std::uint64_t size_ = 0;
  int fd_ = -1;
};

}  // namespace nbs::nomad_sim
