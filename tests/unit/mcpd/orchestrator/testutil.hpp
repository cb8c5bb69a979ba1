// Test support for the getLogs tests: an executor that only has logs (with a gate that can hold its
// reads), runner log events, and a build log as a real build writes it.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "jobs/executor.hpp"

namespace nbs::mcpd::testing {

// Threads wait at a closed gate until it opens; the test can wait until enough of them are waiting.
class Gate {
 public:
  // Blocks while the gate is closed.
  void pass() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    --waiting_;
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  // True once `n` threads wait at the gate; false if they do not within `timeout`.
  bool wait_for_waiting(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return waiting_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  std::size_t waiting_ = 0;
};

// An executor that only has logs: each task's log is a string; it counts the bytes it hands out.
// Reads may come from several threads at once (the search workers).
class LogOnlyExecutor : public jobs::Executor {
 public:
  std::map<std::string, std::string> logs;  // task → content; set before the first read
  jobs::PhaseState state = jobs::PhaseState::succeeded;
  std::atomic<std::uint64_t> bytes_read = 0;
  std::atomic<std::size_t> reads = 0;
  // Called before every read_log with its number (1, 2, …), on the reading thread: e.g. Gate::pass.
  std::function<void(std::size_t read)> before_read;

  Status start(const jobs::PhaseLaunch&) override { return {}; }
  Result<jobs::PhaseObservation> observe(const jobs::PhaseId&) override {
    jobs::PhaseObservation o{.state = state};
    for (const auto& [name, content] : logs) {
      o.tasks.push_back({name, state, 0, ""});
    }
    return o;
  }
  Result<jobs::Changes> wait_for_change(std::uint64_t, std::chrono::milliseconds) override {
    return jobs::Changes{};
  }
  void interrupt_waits() override {}
  Result<jobs::LogChunk> read_log(const jobs::PhaseId&, const std::string& task, jobs::LogOrigin origin,
                                  std::uint64_t offset, std::size_t max_bytes) override {
    const std::size_t read = ++reads;
    if (before_read) {
      before_read(read);
    }
    const std::string& all = logs.at(task);
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
    if (origin == jobs::LogOrigin::end) {
      end = offset >= all.size() ? 0 : all.size() - offset;
      begin = end > max_bytes ? end - max_bytes : 0;
    } else {
      begin = std::min<std::uint64_t>(offset, all.size());
      end = std::min<std::uint64_t>(all.size(), begin + max_bytes);
    }
    bytes_read += end - begin;
    return jobs::LogChunk{all.substr(begin, end - begin), begin, all.size()};
  }
  Result<std::string> read_result(const jobs::PhaseId&) override { return std::string(); }
  Status stop(const jobs::PhaseId&, std::chrono::seconds) override { return {}; }
  Result<std::vector<jobs::PhaseId>> list(const std::string&) override {
    return std::vector<jobs::PhaseId>{};
  }
  Status purge(const jobs::PhaseId&) override { return {}; }
  Status ready() override { return {}; }
  std::vector<FieldError> unsupported(const JobRequest&) const override { return {}; }
  Result<std::vector<std::string>> sweep() override { return std::vector<std::string>{}; }
};

// One runner log event (a line of output) as nbs-runner writes it.
inline std::string event(std::uint64_t seq, const std::string& text, const char* stream = "stdout") {
  boost::json::object e{{"ts", "2026-11-26T12:00:00.000Z"},
                        {"job", "j"},
                        {"phase", "build"},
                        {"seq", seq},
                        {"kind", "line"},
                        {"stream", stream},
                        {"text", text}};
  return boost::json::serialize(e) + "\n";
}

// How getLogs renders an event of event().
inline std::string rendered(const std::string& text) {
  return "12:00:00.000 build | " + text;
}

// `lines` lines of build output of the kind a Debian-based C++ image build prints: apt, compiler
// command lines and warnings, Buildah steps. Many have a dozen or more 'a's, which is what makes
// "(.*a){12}x" backtrack for a long time in a backtracking engine.
inline std::vector<std::string> build_log_lines(std::size_t lines) {
  const char* const templates[] = {
      "STEP 3/9: RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates "
      "build-essential pkg-config libssl-dev",
      "Get:# http://deb.debian.org/debian bookworm/main amd64 libjavascriptcoregtk-4.1-0 amd64 "
      "2.42.2-1~deb12u1 [7,658 kB]",
      "Selecting previously unselected package libaacs0:amd64. Preparing to unpack "
      ".../libaacs0_0.11.1-2_amd64.deb ... Unpacking libaacs0:amd64 (0.11.1-2) ...",
      "[ #%] Building CXX object src/CMakeFiles/app.dir/parser_state_#.cpp.o",
      "/usr/bin/c++ -DAPP_VERSION=2.4 -I/src/app/include -O2 -g -Wall -Wextra -std=gnu++20 -o "
      "CMakeFiles/app.dir/data_table_#.cpp.o -c /src/app/src/data_table_#.cpp",
      "/src/app/src/cache_manager.cpp:#:12: warning: unused parameter 'max_age' [-Wunused-parameter]",
      "/src/app/src/data_manager.cpp:#:5: warning: variable 'a_large_data_area_array_alias_table_and_map' "
      "is a bad name, a data map can have an apt name and a max",
      "Copying blob sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc#",
      "make[2]: Leaving directory '/var/lib/nbs/cache/app/build'",
      "[ #%] Linking CXX static library libapp_data.a",
      "Setting up libparameters-data-validator-java (2.0.# all) and a large database of plain data "
      "pages a user may want to examine at a later date",
      "test_parser_state_# ... ok",
      "Writing manifest to image destination",
  };
  std::vector<std::string> out;
  out.reserve(lines);
  for (std::size_t i = 0; i < lines; ++i) {
    const std::string number = std::to_string(i % 97);
    std::string line;
    for (const char* c = templates[i % std::size(templates)]; *c != '\0'; ++c) {
      if (*c == '#') {
        line += number;
      } else {
        line += *c;
      }
    }
    out.push_back(std::move(line));
  }
  return out;
}

// The runner log of build_log_lines(lines).
inline std::string build_log(std::size_t lines) {
  std::string out;
  std::uint64_t seq = 0;
  for (const auto& line : build_log_lines(lines)) {
    out += event(seq++, line);
  }
  return out;
}

// Whether "(.*a){12}x" matches `line`, decided without a regular expression: some "ax" has at least
// eleven more 'a's before it.
inline bool twelve_as_then_x(const std::string& line) {
  const std::size_t last_ax = line.rfind("ax");
  return last_ax != std::string::npos &&
         std::count(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(last_ax) + 1, 'a') >= 12;
}

// What grep without context answers for the lines where `matches` is true: them, with "--" between
// lines that are not adjacent in the log.
template <class Matches>
std::vector<std::string> expected_grep(const std::vector<std::string>& lines, Matches matches) {
  std::vector<std::string> out;
  std::size_t previous = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (matches(lines[i])) {
      if (!out.empty() && previous + 1 != i) {
        out.push_back("--");
      }
      out.push_back(lines[i]);
      previous = i;
    }
  }
  return out;
}

}  // namespace nbs::mcpd::testing
