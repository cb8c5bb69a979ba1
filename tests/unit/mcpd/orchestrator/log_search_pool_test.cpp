// The getLogs search pool: searches run on its workers while the caller's io_context goes on, at most
// threads + max_waiting at a time, each until its time limit or its caller's stop.
#include "mcpd/orchestrator/log_search_pool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/unit/mcpd/orchestrator/testutil.hpp"

namespace nbs::mcpd::testing {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

const jobs::PhaseId k_build{"j", Phase::build, 1};

LogQuery grep(const std::string& pattern) {
  auto q = parse_log_query(json::object{{"mode", "grep"}, {"pattern", pattern}}, Phase::build);
  EXPECT_TRUE(q) << q.error().describe();
  return *q;
}

class LogSearchPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { executor_.logs["runner"] = build_log(20000); }  // about 3.5 MB
  void TearDown() override { gate_.open(); }

  // Starts a search on io_; its outcome lands in the returned slot when io_ runs its completion.
  std::shared_ptr<std::optional<Result<LogPage>>> start(LogSearchPool& pool, const std::string& pattern,
                                                        std::stop_token stop = {}) {
    auto outcome = std::make_shared<std::optional<Result<LogPage>>>();
    asio::co_spawn(io_, pool.search(executor_, k_build, grep(pattern), std::move(stop)),
                   [outcome](const std::exception_ptr& e, Result<LogPage> page) {
                     ASSERT_FALSE(e);
                     *outcome = std::move(page);
                   });
    return outcome;
  }

  // Holds every search at its first read until the gate opens.
  void hold_first_reads() {
    executor_.before_read = [this](std::size_t read) {
      if (read == 1) {
        gate_.pass();
      }
    };
  }

  asio::io_context io_;  // before the pools: searches complete on it
  Gate gate_;
  LogOnlyExecutor executor_;
};

TEST_F(LogSearchPoolTest, TheCallersThreadGoesOnWhileItsSearchRuns) {
  LogSearchPool pool({.threads = 1, .max_waiting = 1, .time_limit = 5s});
  hold_first_reads();
  auto outcome = start(pool, "make\\[2\\]");
  io_.poll();
  ASSERT_TRUE(gate_.wait_for_waiting(1, 10s)) << "the search did not start on a worker";
  bool ran = false;
  asio::post(io_, [&ran] { ran = true; });
  io_.poll();
  EXPECT_TRUE(ran) << "the io_context was blocked by the search";
  EXPECT_FALSE(outcome->has_value());
  gate_.open();
  io_.run();  // returns once the search's completion has run: it kept the io_context busy till then
  ASSERT_TRUE(outcome->has_value());
  ASSERT_TRUE(**outcome) << (*outcome)->error().message;
  ASSERT_FALSE((**outcome)->lines.empty());
  EXPECT_EQ((**outcome)->lines.front(),
            rendered("make[2]: Leaving directory '/var/lib/nbs/cache/app/build'"));
}

TEST_F(LogSearchPoolTest, PastThreadsAndWaitingSearchesThePoolIsBusy) {
  LogSearchPool pool({.threads = 1, .max_waiting = 1, .time_limit = 5s});
  hold_first_reads();
  auto running = start(pool, "warning");
  auto waiting = start(pool, "warning");
  auto refused = start(pool, "warning");
  io_.poll();
  ASSERT_TRUE(gate_.wait_for_waiting(1, 10s));
  EXPECT_EQ(pool.admitted(), 2u);
  ASSERT_TRUE(refused->has_value()) << "a busy pool answers at once";
  ASSERT_FALSE(**refused);
  EXPECT_EQ((*refused)->error().kind, ErrorKind::unavailable);
  EXPECT_EQ((*refused)->error().message,
            "getLogs: 2 log searches are running or waiting, the most this daemon takes; retry in a few "
            "seconds");
  gate_.open();
  io_.run();
  EXPECT_EQ(pool.admitted(), 0u);
  for (const auto& done : {running, waiting}) {
    ASSERT_TRUE(done->has_value());
    ASSERT_TRUE(**done);
    EXPECT_FALSE((**done)->lines.empty());
  }
}

TEST_F(LogSearchPoolTest, AStoppedCallerEndsItsRunningSearchAndItsWaitingOneNeverReads) {
  LogSearchPool pool({.threads = 1, .max_waiting = 1, .time_limit = 5s});
  hold_first_reads();
  std::stop_source first_caller;
  std::stop_source second_caller;
  auto running = start(pool, "no such line", first_caller.get_token());
  auto waiting = start(pool, "no such line", second_caller.get_token());
  io_.poll();
  ASSERT_TRUE(gate_.wait_for_waiting(1, 10s));
  first_caller.request_stop();
  second_caller.request_stop();
  gate_.open();
  io_.run();
  for (const auto& done : {running, waiting}) {
    ASSERT_TRUE(done->has_value());
    ASSERT_TRUE(**done);
    EXPECT_EQ((**done)->stopped, SearchStop::cancelled);
    EXPECT_TRUE((**done)->truncated);
  }
  EXPECT_EQ(executor_.reads.load(), 1u) << "only the first slice of the running search was read";
  EXPECT_EQ((**waiting)->next_cursor, "0:0")
      << "the waiting search read nothing: it continues from the start";
}

TEST_F(LogSearchPoolTest, ASearchStopsAtItsTimeLimitWithACursorToContinue) {
  LogSearchPool pool({.threads = 1, .max_waiting = 0, .time_limit = 0ms});
  auto outcome = start(pool, "no such line");
  io_.run();
  ASSERT_TRUE(outcome->has_value());
  ASSERT_TRUE(**outcome);
  EXPECT_EQ((**outcome)->stopped, SearchStop::deadline);
  EXPECT_TRUE((**outcome)->lines.empty());
  EXPECT_NE((**outcome)->next_cursor, "0:0") << "every search makes progress";
  EXPECT_LT(executor_.bytes_read.load(), executor_.logs["runner"].size());
}

}  // namespace
}  // namespace nbs::mcpd::testing
