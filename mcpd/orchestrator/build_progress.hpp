// Where a running build is (Buildah's STEP n/m), read from the tail of its log and kept for a while, so
// that however many clients poll getStatus the log is read at most once per interval (on Nomad a log
// read is a request). While one step stays the same (a long RUN) the interval doubles up to a maximum.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "jobs/executor.hpp"
#include "mcpd/orchestrator/job_record.hpp"

namespace nbs::mcpd {

// Where a running build is: Buildah's STEP n/m and its instruction.
struct BuildStep {
  int step = 0;
  int steps = 0;
  std::string text;         // "[builder] RUN make"
  std::string stage;        // "builder"; "" in a one-stage build
  std::string instruction;  // "RUN make"
  bool operator==(const BuildStep&) const = default;
};

// The last step event in the tail of the record's build log; nullopt before the first step or when the
// log cannot be read.
std::optional<BuildStep> latest_build_step(jobs::Executor& executor, const JobRecord& record);

class BuildProgress {
 public:
  BuildProgress(std::chrono::milliseconds refresh, std::chrono::milliseconds refresh_max)
      : refresh_(refresh), refresh_max_(refresh_max) {}

  // The step read less than an interval ago, if any (the outer optional: whether there is one to use).
  std::optional<std::optional<BuildStep>> fresh(const std::string& job_id);
  // Keeps a step just read; the next read is due after refresh, or twice the last interval (up to
  // refresh_max) when the step has not moved.
  void keep(const std::string& job_id, std::optional<BuildStep> step);
  void forget(const std::string& job_id);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point read_at;
    std::chrono::milliseconds interval{0};  // until the next read
    std::optional<BuildStep> step;
  };

  std::chrono::milliseconds refresh_;
  std::chrono::milliseconds refresh_max_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace nbs::mcpd
