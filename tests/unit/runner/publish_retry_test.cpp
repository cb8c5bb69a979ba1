// The publish and cleanup phases' retry of registry calls: a registry that does not answer for a while
// (restarted mid-publish) is retried with the policy's backoff; an answer that is a refusal is not; a
// stop ends the waiting.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runner/publish_phase.hpp"

namespace nbs::runner {
namespace {

struct Context {
  explicit Context(int attempts) {
    options.retry = {
        .attempts = attempts, .initial = std::chrono::milliseconds(1), .max = std::chrono::milliseconds(2)};
  }
  RunnerSpec spec;
  std::vector<std::string> lines;
  PhaseLogWriter log{[this](std::string_view line) { lines.emplace_back(line); }, "job", "publish",
                     LogFormat::text};
  ProcessStop stop;
  RunnerOptions options;
  PhaseContext ctx() { return PhaseContext(spec, log, stop, options); }
};

TEST(PublishRetryTest, ARegistryThatDoesNotAnswerIsRetriedUntilItDoes) {
  Context c(4);
  int calls = 0;
  auto r = retry_registry_call(c.ctx(), "publish: GET r/a:tmp", [&]() -> Result<std::string> {
    if (++calls < 3) {
      return make_error(ErrorKind::unavailable, "dial tcp 127.0.0.1:5000: connection refused");
    }
    return std::string("manifest");
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, "manifest");
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_NE(c.lines[0].find("connection refused; transient registry error, retrying"), std::string::npos)
      << c.lines[0];
  EXPECT_NE(c.lines[1].find("(attempt 3/4)"), std::string::npos) << c.lines[1];
}

TEST(PublishRetryTest, GivesUpAfterThePolicysAttempts) {
  Context c(3);
  int calls = 0;
  Status s = retry_registry_call(c.ctx(), "publish: PUT r/a:1", [&]() -> Status {
    ++calls;
    return make_error(ErrorKind::timeout, "i/o timeout");
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "i/o timeout");
  EXPECT_EQ(calls, 3);
}

TEST(PublishRetryTest, ARefusalIsNotRetried) {
  Context c(4);
  int calls = 0;
  Status s = retry_registry_call(c.ctx(), "publish: PUT r/a:1", [&]() -> Status {
    ++calls;
    return make_error(ErrorKind::unauthorized, "401 unauthorized");
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(c.lines.empty());
}

TEST(PublishRetryTest, AStopEndsTheWaiting) {
  Context c(4);
  c.options.retry.initial = std::chrono::hours(1);  // only the stop can end this wait
  c.stop.request();
  int calls = 0;
  Status s = retry_registry_call(c.ctx(), "cleanup: DELETE r/a:tmp", [&]() -> Status {
    ++calls;
    return make_error(ErrorKind::unavailable, "connection refused");
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace nbs::runner
