// getLogs: pages over one phase's logs as the executor keeps them, reading bounded slices only, so a
// 100 MB log costs what the answer costs, never the whole file. Modes: the last N lines (tail), lines
// from a cursor onwards (range; also how a client follows a running phase), and a regular-expression
// search with context (grep), which scans a bounded window per call and continues from a cursor. Grep
// patterns run on RE2, whose time is linear in the input, so no pattern can make a search backtrack
// for minutes; a search also stops at a deadline or when its caller gives up (SearchLimits).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
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
  std::string cursor;   // from a previous page's next_cursor
  std::string pattern;  // RE2 syntax, case-sensitive unless it starts with (?i)
  std::size_t context_lines = 0;
  std::size_t max_bytes = std::size_t{32} * 1024;

  static constexpr std::size_t k_max_lines = 2000;
  static constexpr std::size_t k_max_bytes = std::size_t{256} * 1024;
  static constexpr std::size_t k_grep_scan_bytes = std::size_t{8} * 1024 * 1024;  // per call
  static constexpr std::size_t k_max_pattern_bytes = 256;
  // RE2's memory budget per search (its DFA cache; past it RE2 falls back to its slower NFA).
  static constexpr std::int64_t k_pattern_memory = std::int64_t{8} * 1024 * 1024;
  // The largest compiled pattern a search accepts: the NFA's cost per byte grows with it (`\pL{100}`
  // compiles to over 100,000 instructions), and this keeps a line's match well under a second.
  static constexpr int k_max_pattern_program = 4096;
};

// When a forward read (range, grep) gives up early, answering with what it has and a cursor to
// continue: at `deadline`, or when `stop` is requested (the caller went away, the daemon is stopping).
struct SearchLimits {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::stop_token stop;
};

// Why a page ended before the limits of the query did.
enum class SearchStop { none, deadline, cancelled };

struct LogPage {
  std::vector<std::string> lines;
  std::string next_cursor;                   // pass back to continue; empty at the end of a finished log
  std::optional<std::uint64_t> total_lines;  // known for runner logs (event sequence numbers)
  bool truncated = false;                    // a limit cut the answer short
  SearchStop stopped = SearchStop::none;     // set: the deadline or a stop cut it short (truncated too)
  std::vector<std::string> tasks;            // the tasks of the phase
};

// Parses and bounds the getLogs arguments (errors name the argument). A grep pattern is only checked
// for its length here: compiling it can take a while, so read_logs does that.
Result<LogQuery> parse_log_query(const boost::json::object& arguments, Phase default_phase);

// One page of the phase's logs. Grep compiles the pattern first: a pattern RE2 refuses (a
// backreference, lookaround) or one too complex is an invalid_argument naming `pattern` with the reason.
Result<LogPage> read_logs(jobs::Executor& executor, const jobs::PhaseId& phase, const LogQuery& query,
                          const SearchLimits& limits = {});

}  // namespace nbs::mcpd
