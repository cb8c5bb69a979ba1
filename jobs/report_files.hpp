// A test task's reports (test.reports) as both executors collect them: how much is kept, and the path a
// collected file stands for. Standard library only: nbs-task-supervisor, which links nothing of the
// project, uses it on the local executor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nbs::jobs {

inline constexpr std::uint64_t k_report_file_bytes = 1 << 20;   // kept of one file; the rest is counted
inline constexpr std::uint64_t k_report_total_bytes = 4 << 20;  // kept of a task's files together
inline constexpr std::size_t k_report_max_files = 64;           // of a task; past it, "incomplete"

// The path a collected entry stands for: `requested` is a test.reports path, `entry` the name of what
// was copied of it, from its base name ("junit.xml" for /out/junit.xml; "out/a.txt" for /out).
inline std::string report_entry_path(std::string_view requested, std::string_view entry) {
  while (requested.size() > 1 && requested.back() == '/') {
    requested.remove_suffix(1);
  }
  while (entry.starts_with("./")) {
    entry.remove_prefix(2);
  }
  const std::string_view parent = requested.substr(0, requested.rfind('/'));
  return std::string(parent) + "/" + std::string(entry);
}

}  // namespace nbs::jobs
