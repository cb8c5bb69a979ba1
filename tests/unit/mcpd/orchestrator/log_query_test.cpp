#include "mcpd/orchestrator/log_query.hpp"

#include <future>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/unit/mcpd/orchestrator/testutil.hpp"

namespace nbs::mcpd {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::build_log;
using testing::build_log_lines;
using testing::event;
using testing::LogOnlyExecutor;
using testing::rendered;

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

// Runs `fn` on a thread of its own and waits for it at most `limit`, so a search that hangs fails the
// test loudly instead of hanging it (the thread is left behind; `fn` owns what it uses).
template <class T>
std::optional<T> finished_within(std::chrono::seconds limit, std::function<T()> fn) {
  auto done = std::make_shared<std::promise<T>>();
  auto result = done->get_future();
  std::thread([done, fn = std::move(fn)] { done->set_value(fn()); }).detach();
  if (result.wait_for(limit) != std::future_status::ready) {
    return std::nullopt;
  }
  return result.get();
}

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
  EXPECT_LT(e.bytes_read.load(), 128u * 1024) << "tail read far more than it returned";
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

TEST(LogQueryTest, GrepWithABacktrackingPatternOnABuildLogFinishesWithEveryMatch) {
  auto e = std::make_shared<LogOnlyExecutor>();
  e->logs["runner"] = build_log(1300);
  std::vector<std::string> log_lines;
  for (const auto& line : build_log_lines(1300)) {
    log_lines.push_back(rendered(line));
  }
  const auto expected = testing::expected_grep(log_lines, testing::twelve_as_then_x);
  ASSERT_EQ(expected.size(), 199u);  // 100 matches, one line in 13, with "--" between
  const LogQuery q = query(R"({"mode": "grep", "pattern": "(.*a){12}x", "max_bytes": 262144})");
  auto page = finished_within<Result<LogPage>>(30s, [e, q] { return read_logs(*e, k_build, q); });
  ASSERT_TRUE(page) << "the search did not finish within 30 s";
  ASSERT_TRUE(*page) << page->error().message;
  EXPECT_EQ((*page)->lines, expected);
  EXPECT_FALSE((*page)->truncated);
  EXPECT_EQ((*page)->next_cursor, "");
}

TEST(LogQueryTest, PatternsTheLinearEngineCannotRunAreFieldErrorsWithItsReason) {
  LogOnlyExecutor e;
  e.logs["runner"] = runner_log(3);
  auto reason = [&](const std::string& pattern) -> std::string {
    auto q = parse_log_query(json::object{{"mode", "grep"}, {"pattern", pattern}}, Phase::build);
    Result<LogPage> page = q ? read_logs(e, k_build, *q) : Result<LogPage>(q.error());
    if (page) {
      return "accepted";
    }
    EXPECT_EQ(page.error().kind, ErrorKind::invalid_argument);
    EXPECT_EQ(page.error().fields.size(), 1u);
    EXPECT_EQ(page.error().fields.at(0).path, "pattern");
    return page.error().fields.at(0).reason;
  };
  EXPECT_EQ(reason("(a)\\1"), "is not a valid regular expression: invalid escape sequence: \\1");
  EXPECT_EQ(reason("error(?=:)"), "is not a valid regular expression: invalid perl operator: (?=");
  EXPECT_EQ(reason("(a"), "is not a valid regular expression: missing ): (a");
  EXPECT_EQ(reason("\\pL{1000}"), "is not a valid regular expression: pattern too large - compile failed");
  EXPECT_EQ(reason("\\pL{100}"),
            "is too complex for a log search: it compiles to 119304 RE2 instructions, at most 4096");
  EXPECT_EQ(reason(std::string(257, 'a')), "must be 1 to 256 bytes long");
  EXPECT_EQ(reason(""), "must be 1 to 256 bytes long");
  EXPECT_EQ(reason("(?i)LINE \\d$"), "accepted");
}

TEST(LogQueryTest, AGrepPastItsDeadlineAnswersWithWhatItFoundAndACursorToContinue) {
  LogOnlyExecutor e;
  e.logs["runner"] = runner_log(20000);  // about 2 MB
  const LogQuery q = query(R"({"mode": "grep", "pattern": "line \\d*7$"})");
  SearchLimits limits;
  limits.deadline = std::chrono::steady_clock::now();  // already passed: it stops at its first look
  auto page = read_logs(e, k_build, q, limits);
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->stopped, SearchStop::deadline);
  EXPECT_TRUE(page->truncated);
  ASSERT_FALSE(page->lines.empty());
  EXPECT_EQ(page->lines.front(), "12:00:00.000 build | line 7");
  // It continues where it stopped, and the pages add up to the whole answer.
  std::vector<std::string> all = page->lines;
  std::string cursor = page->next_cursor;
  for (int pages = 0; !cursor.empty() && pages < 1000; ++pages) {
    auto next = read_logs(
        e, k_build, query(R"({"mode": "grep", "pattern": "line \\d*7$", "cursor": ")" + cursor + "\"}"));
    ASSERT_TRUE(next);
    all.insert(all.end(), next->lines.begin(), next->lines.end());
    cursor = next->next_cursor;
  }
  std::erase(all, "--");  // between matches; a page does not start with one
  EXPECT_EQ(all.size(), 2000u);
  EXPECT_EQ(all.back(), "12:00:00.000 build | line 19997");
}

TEST(LogQueryTest, AStoppedGrepEndsAtTheNextLineWithItsPageSoFar) {
  LogOnlyExecutor e;
  e.logs["runner"] = runner_log(20000);
  std::stop_source stop;
  e.before_read = [&](std::size_t read) {
    if (read == 3) {
      stop.request_stop();  // the client goes away while the third slice is being read
    }
  };
  SearchLimits limits;
  limits.stop = stop.get_token();
  auto page =
      read_logs(e, k_build, query(R"({"mode": "grep", "pattern": "line", "max_bytes": 262144})"), limits);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->stopped, SearchStop::cancelled);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(e.reads.load(), 3u) << "it read on after the stop";
  // Every line matches: the page is every line up to the one after the stop, and the cursor follows it.
  ASSERT_FALSE(page->lines.empty());
  const std::size_t last = page->lines.size() - 1;
  EXPECT_EQ(page->lines.back(),
            (last % 10 == 9 ? "12:00:00.000 build stderr| line " : "12:00:00.000 build | line ") +
                std::to_string(last));
  EXPECT_EQ(page->next_cursor, "0:" + std::to_string(runner_log(page->lines.size()).size()));
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
  auto q = parse_log_query(json::parse(R"({"phase": "deploy", "mode": "all", "tail_lines": -1, "pattern": "",
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
