#include "mcpd/webhooks/retry_policy.hpp"

#include <gtest/gtest.h>

namespace nbs::mcpd {
namespace {

using std::chrono::milliseconds;

TEST(JudgeStatus, RetriesOnlyTransientAnswers) {
  EXPECT_EQ(judge_status(200), AttemptVerdict::delivered);
  EXPECT_EQ(judge_status(204), AttemptVerdict::delivered);
  EXPECT_EQ(judge_status(301), AttemptVerdict::give_up);
  EXPECT_EQ(judge_status(400), AttemptVerdict::give_up);
  EXPECT_EQ(judge_status(401), AttemptVerdict::give_up);
  EXPECT_EQ(judge_status(404), AttemptVerdict::give_up);
  EXPECT_EQ(judge_status(408), AttemptVerdict::retry);
  EXPECT_EQ(judge_status(429), AttemptVerdict::retry);
  EXPECT_EQ(judge_status(500), AttemptVerdict::retry);
  EXPECT_EQ(judge_status(503), AttemptVerdict::retry);
}

TEST(JudgeError, RetriesFailuresToTalk) {
  EXPECT_EQ(judge_error(make_error(ErrorKind::unavailable, "refused")), AttemptVerdict::retry);
  EXPECT_EQ(judge_error(make_error(ErrorKind::timeout, "slow")), AttemptVerdict::retry);
  EXPECT_EQ(judge_error(make_error(ErrorKind::invalid_argument, "bad url")), AttemptVerdict::give_up);
  EXPECT_EQ(judge_error(make_error(ErrorKind::internal, "body too large")), AttemptVerdict::give_up);
}

TEST(ParseRetryAfter, SecondsAndDates) {
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parse_retry_after("120", now), milliseconds(120'000));
  EXPECT_EQ(parse_retry_after(" 3 ", now), milliseconds(3'000));
  EXPECT_EQ(parse_retry_after("0", now), milliseconds(0));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), milliseconds(30'000));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), milliseconds(0));  // in the past
  EXPECT_FALSE(parse_retry_after("-1", now));
  EXPECT_FALSE(parse_retry_after("soon", now));
  EXPECT_FALSE(parse_retry_after("", now));
}

TEST(RetryDelay, CappedExponentialWithJitter) {
  WebhookRetryPolicy policy;
  policy.initial_backoff = milliseconds(1000);
  policy.max_backoff = milliseconds(8000);
  std::mt19937_64 random(42);
  for (int i = 0; i < 200; ++i) {
    const auto first = retry_delay(policy, 1, nullptr, random);
    EXPECT_GE(first, milliseconds(500));
    EXPECT_LE(first, milliseconds(1000));
    const auto third = retry_delay(policy, 3, nullptr, random);
    EXPECT_GE(third, milliseconds(2000));
    EXPECT_LE(third, milliseconds(4000));
    const auto late = retry_delay(policy, 30, nullptr, random);
    EXPECT_GE(late, milliseconds(4000));
    EXPECT_LE(late, milliseconds(8000));
  }
}

TEST(RetryDelay, RetryAfterReplacesBackoffUpToTheCap) {
  WebhookRetryPolicy policy;
  policy.initial_backoff = milliseconds(1000);
  policy.max_retry_after = milliseconds(5000);
  std::mt19937_64 random(1);
  HttpResponse busy;
  busy.status = 429;
  busy.headers = {{"retry-after", "2"}};
  EXPECT_EQ(retry_delay(policy, 1, &busy, random), milliseconds(2000));
  busy.headers = {{"Retry-After", "3600"}};
  EXPECT_EQ(retry_delay(policy, 1, &busy, random), milliseconds(5000));
  busy.status = 503;
  EXPECT_EQ(retry_delay(policy, 1, &busy, random), milliseconds(5000));
  busy.status = 500;  // Retry-After only counts with 429 and 503
  EXPECT_LE(retry_delay(policy, 1, &busy, random), milliseconds(1000));
  busy.status = 429;
  busy.headers.clear();
  EXPECT_LE(retry_delay(policy, 1, &busy, random), milliseconds(1000));
}

}  // namespace
}  // namespace nbs::mcpd
