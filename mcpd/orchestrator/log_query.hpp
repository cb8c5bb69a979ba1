// getLogs: pages over one phase's logs as the executor keeps them, reading bounded slices only, so a
// 100 MB log costs what the answer costs, never the whole file. Modes: the last N lines (tail), lines
// from a cursor onwards (range; also how a client follows a running phase), and a regular-expression
// search with context (grep), which scans a bounded window per call and continues from a cursor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "jobs/executor.hpp"

namespace nbs::mcpd {

enum class LogMode { tail, range, grep };
enum class StreamFilter { all, out, err };

struct LogQuery {
  Phase phase = Phase::build;
  std::string task;  // "" = every task of the phase, in order
  StreamFilter stream = StreamFilter::all;
  LogMode mode = LogMode::tail;
  std::size_t tail_lines = 200;
  std::size_t limit_lines = 200;
  std::string cursor;  // from a previous page's next_cursor
  std::string pattern;
  std::size_t context_lines = 0;
  std::size_t max_bytes = 32 * 1024;

  static constexpr std::size_t k_max_lines = 2000;
  static constexpr std::size_t k_max_bytes = 256 * 1024;
  static constexpr std::size_t k_grep_scan_bytes = 8 * 1024 * 1024;  // per call
};

struct LogPage {
  std::vector<std::string> lines;
  std::string next_cursor;                   // pass back to continue; empty at the end of a finished log
  std::optional<std::uint64_t> total_lines;  // known for runner logs (event sequence numbers)
  bool truncated = false;                    // a limit cut the answer short
  std::vector<std::string> tasks;            // the tasks of the phase
};

// Parses and bounds the getLogs arguments (errors name the argument).
Result<LogQuery> parse_log_query(const boost::json::object& arguments, Phase default_phase);

Result<LogPage> read_logs(jobs::Executor& executor, const jobs::PhaseId& phase, const LogQuery& query);

}  // namespace nbs::mcpd
