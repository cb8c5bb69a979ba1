// getLogs grep throughput: RE2 (what read_logs runs) against std::regex (what it ran before) on the
// lines of a build log, the whole read_logs grep path, and one log line that makes std::regex backtrack.
// Each engine pair runs in the same process, so a loaded machine slows both.
#include <regex>

#include <benchmark/benchmark.h>
#include <re2/re2.h>

#include "mcpd/orchestrator/log_query.hpp"
#include "tests/unit/mcpd/orchestrator/testutil.hpp"

namespace {

using nbs::mcpd::testing::build_log;
using nbs::mcpd::testing::build_log_lines;
using nbs::mcpd::testing::rendered;

constexpr std::size_t k_log_lines = 25000;  // about 6 MB of events (one call scans 8 MiB at most)
constexpr const char* k_common_pattern = R"(cache_manager\.cpp:1\d:\d+: warning)";
constexpr const char* k_backtracking_pattern = "(.*a){12}x";

const std::vector<std::string>& rendered_lines() {
  static const std::vector<std::string> lines = [] {
    std::vector<std::string> out;
    for (const auto& line : build_log_lines(k_log_lines)) {
      out.push_back(rendered(line));
    }
    return out;
  }();
  return lines;
}

std::int64_t total_bytes(const std::vector<std::string>& lines) {
  std::int64_t bytes = 0;
  for (const auto& line : lines) {
    bytes += static_cast<std::int64_t>(line.size());
  }
  return bytes;
}

void grep_lines_std_regex(benchmark::State& state) {
  const auto& lines = rendered_lines();
  const std::regex regex(k_common_pattern, std::regex::ECMAScript | std::regex::optimize);
  for (auto _ : state) {
    std::size_t matches = 0;
    for (const auto& line : lines) {
      matches += std::regex_search(line, regex) ? 1 : 0;
    }
    benchmark::DoNotOptimize(matches);
  }
  state.SetBytesProcessed(state.iterations() * total_bytes(lines));
}
BENCHMARK(grep_lines_std_regex)->Unit(benchmark::kMillisecond);

void grep_lines_re2(benchmark::State& state) {
  const auto& lines = rendered_lines();
  re2::RE2::Options options;
  options.set_max_mem(nbs::mcpd::LogQuery::k_pattern_memory);
  const re2::RE2 regex(k_common_pattern, options);
  for (auto _ : state) {
    std::size_t matches = 0;
    for (const auto& line : lines) {
      matches += re2::RE2::PartialMatch(line, regex) ? 1 : 0;
    }
    benchmark::DoNotOptimize(matches);
  }
  state.SetBytesProcessed(state.iterations() * total_bytes(lines));
}
BENCHMARK(grep_lines_re2)->Unit(benchmark::kMillisecond);

// The whole getLogs grep: read slices, decode the runner's events, render and match every line, up to
// the limits of one call (a full page, or the 8 MiB scan window). Bytes are those the call got through.
void read_logs_grep(benchmark::State& state, const char* pattern) {
  nbs::mcpd::testing::LogOnlyExecutor executor;
  executor.logs["runner"] = build_log(k_log_lines);
  boost::json::object args{{"mode", "grep"}, {"pattern", pattern}, {"max_bytes", 262144}};
  auto query = nbs::mcpd::parse_log_query(args, nbs::Phase::build);
  if (!query) {
    state.SkipWithError(query.error().message.c_str());
    return;
  }
  std::int64_t bytes = 0;
  for (auto _ : state) {
    auto page = nbs::mcpd::read_logs(executor, {"j", nbs::Phase::build, 1}, *query);
    if (!page) {
      state.SkipWithError(page.error().message.c_str());
      return;
    }
    const std::string& cursor = page->next_cursor;
    bytes += cursor.empty() ? static_cast<std::int64_t>(executor.logs["runner"].size())
                            : std::stoll(cursor.substr(cursor.find(':') + 1));
  }
  state.SetBytesProcessed(bytes);
}
BENCHMARK_CAPTURE(read_logs_grep, common, k_common_pattern)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(read_logs_grep, backtracking, k_backtracking_pattern)->Unit(benchmark::kMillisecond);

// One apt line of a build log with 14 'a's and no "ax": std::regex tries every way to split it.
const std::string& backtracking_line() {
  static const std::string line = rendered(build_log_lines(3).at(2));
  return line;
}

void backtracking_line_std_regex(benchmark::State& state) {
  const std::regex regex(k_backtracking_pattern, std::regex::ECMAScript | std::regex::optimize);
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::regex_search(backtracking_line(), regex));
  }
}
BENCHMARK(backtracking_line_std_regex)->Unit(benchmark::kMillisecond)->Iterations(2);

void backtracking_line_re2(benchmark::State& state) {
  const re2::RE2 regex(k_backtracking_pattern);
  for (auto _ : state) {
    benchmark::DoNotOptimize(re2::RE2::PartialMatch(backtracking_line(), regex));
  }
}
BENCHMARK(backtracking_line_re2)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
