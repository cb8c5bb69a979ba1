#include "mcpd/orchestrator/log_query.hpp"

#include <map>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace nbs::mcpd {
namespace {

namespace json = boost::json;

// An executor that only has logs: each task's log is a string; it counts the bytes it hands out.
class LogOnlyExecutor : public jobs::Executor {
 public:
  std::map<std::string, std::string> logs;  // task → content
  jobs::PhaseState state = jobs::PhaseState::succeeded;
  std::uint64_t bytes_read = 0;

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
    const std::string& all = logs.at(task);
    std::uint64_t begin, end;
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

std::string event(std::uint64_t seq, const std::string& text, const char* stream = "stdout") {
  return R"({"ts":"2026-11-26T12:00:00.000Z","job":"j","phase":"build","seq":)" + std::to_string(seq) +
         R"(,"kind":"line","stream":")" + stream + R"(","text":")" + text + "\"}\n";
}

std::string runner_log(std::uint64_t lines) {
  std::string out;
  for (std::uint64_t i = 0; i < lines; ++i) {
    out += event(i, "line " + std::to_string(i), i % 10 == 9 ? "stderr" : "stdout");
  }
  return out;
}

LogQuery query(const std::string& args_json) {
  auto q = parse_log_query(json::parse(args_json).as_object(), Phase::build);
  EXPECT_TRUE(q) << q.error().describe();
  return *q;
}

const jobs::PhaseId k_build{"j", Phase::build, 1};

TEST(LogQueryTest, TailReturnsTheLastLinesAndCountsThemFromSequenceNumbers) {
  LogOnlyExecutor e;
  e.logs["runner"] = runner_log(1000);
  auto page = read_logs(e, k_build, query(R"({"tail_lines": 3})"));
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->lines,
            (std::vector<std::string>{"12:00:00.000 build | line 997", "12:00:00.000 build | line 998",
                                      "12:00:00.000 build stderr| line 999"}));
  EXPECT_EQ(page->total_lines, 1000u);
  EXPECT_FALSE(page->truncated);
  EXPECT_EQ(page->next_cursor, "0:" + std::to_string(e.logs["runner"].size()));
}

TEST(LogQueryTest, TailOfAHugeLogReadsOnlyItsEnd) {
  LogOnlyExecutor e;
  e.logs["runner"] = runner_log(200000);  // about 20 MB
  ASSERT_GT(e.logs["runner"].size(), 15u << 20);
  auto page = read_logs(e, k_build, query(R"({"tail_lines": 200})"));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->lines.size(), 200u);
  EXPECT_EQ(page->lines.back(), "12:00:00.000 build stderr| line 199999");
  EXPECT_LT(e.bytes_read, 128u * 1024) << "tail read far more than it returned";
}

TEST(LogQueryTest, RangePagesForwardWithCursors) {
  LogOnlyExecutor e;
  e.logs["runner"] = runner_log(25);
  auto first = read_logs(e, k_build, query(R"({"mode": "range", "limit_lines": 10})"));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->lines.size(), 10u);
  EXPECT_EQ(first->lines.front(), "12:00:00.000 build | line 0");
  EXPECT_TRUE(first->truncated);
  std::vector<std::string> all = first->lines;
  std::string cursor = first->next_cursor;
  for (int pages = 0; !cursor.empty() && pages < 10; ++pages) {
    auto next = read_logs(e, k_build, query(R"({"cursor": ")" + cursor + R"(", "limit_lines": 10})"));
    ASSERT_TRUE(next);
    all.insert(all.end(), next->lines.begin(), next->lines.end());
    cursor = next->next_cursor;
  }
  ASSERT_EQ(all.size(), 25u);
  EXPECT_EQ(all.back(), "12:00:00.000 build | line 24");
  EXPECT_TRUE(cursor.empty()) << "a finished log ends with an empty cursor";
}

TEST(LogQueryTest, ARunningPhaseKeepsACursorToFollowAndHoldsBackAnUnfinishedLine) {
  LogOnlyExecutor e;
  e.state = jobs::PhaseState::running;
  e.logs["runner"] = runner_log(2) + R"({"ts":"2026-11-26T12:00:00.000Z","kind":"li)";
  auto page = read_logs(e, k_build, query(R"({"mode": "range"})"));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->lines.size(), 2u);
  EXPECT_EQ(page->next_cursor, "0:" + std::to_string(runner_log(2).size()));
}

TEST(LogQueryTest, GrepFindsMatchesWithContext) {
  LogOnlyExecutor e;
  e.logs["runner"] = runner_log(30);
  auto page =
      read_logs(e, k_build, query(R"({"mode": "grep", "pattern": "line (5|20)$", "context_lines": 1})"));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->lines, (std::vector<std::string>{
                             "12:00:00.000 build | line 4", "12:00:00.000 build | line 5",
                             "12:00:00.000 build | line 6", "--", "12:00:00.000 build stderr| line 19",
                             "12:00:00.000 build | line 20", "12:00:00.000 build | line 21"}));
}

TEST(LogQueryTest, StreamFilterAndByteBudget) {
  LogOnlyExecutor e;
  e.logs["runner"] = runner_log(100);
  auto errors = read_logs(e, k_build, query(R"({"stream": "stderr", "tail_lines": 2})"));
  EXPECT_EQ(errors->lines, (std::vector<std::string>{"12:00:00.000 build stderr| line 89",
                                                     "12:00:00.000 build stderr| line 99"}));
  auto small = read_logs(e, k_build, query(R"({"tail_lines": 50, "max_bytes": 100})"));
  EXPECT_EQ(small->lines.size(), 3u);  // 30 bytes a line with its newline
  EXPECT_TRUE(small->truncated);
}

TEST(LogQueryTest, TestPhaseTasksArePrefixedAndPlainOutputIsKept) {
  LogOnlyExecutor e;
  e.logs["cmd-0"] = "ok 1\nok 2\n";
  e.logs["cmd-1"] = "FAIL: expected 3\n";
  auto page = read_logs(e, {"j", Phase::test, 1}, query(R"({"mode": "range"})"));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->lines,
            (std::vector<std::string>{"[cmd-0] ok 1", "[cmd-0] ok 2", "[cmd-1] FAIL: expected 3"}));
  EXPECT_EQ(page->tasks, (std::vector<std::string>{"cmd-0", "cmd-1"}));
  auto one = read_logs(e, {"j", Phase::test, 1}, query(R"({"task": "cmd-1"})"));
  EXPECT_EQ(one->lines, std::vector<std::string>{"FAIL: expected 3"});
  EXPECT_EQ(read_logs(e, {"j", Phase::test, 1}, query(R"({"task": "nope"})")).error().fields[0].path, "task");
}

TEST(LogQueryTest, BadArgumentsNameTheirField) {
  auto q = parse_log_query(json::parse(R"({"phase": "deploy", "mode": "all", "tail_lines": -1, "pattern": "(",
                                          "cursor": "x", "stream": 3})")
                               .as_object(),
                           Phase::build);
  ASSERT_FALSE(q);
  std::vector<std::string> paths;
  for (const auto& f : q.error().fields) {
    paths.push_back(f.path);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"phase", "stream", "mode", "cursor", "pattern", "tail_lines"}));
  EXPECT_EQ(
      parse_log_query(json::parse(R"({"mode": "grep"})").as_object(), Phase::build).error().fields[0].path,
      "pattern");
}

}  // namespace
}  // namespace nbs::mcpd
