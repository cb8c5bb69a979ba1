// Capped exponential backoff for idempotent Nomad reads: the one place that decides when and how
// long to wait before trying again.
#pragma once

#include <chrono>
#include <functional>

#include "common/error.hpp"

namespace nbs::jobs::nomad {

struct RetryPolicy {
  int max_attempts = 5;  // 1: no retry
  std::chrono::milliseconds initial_delay{200};
  std::chrono::milliseconds max_delay{std::chrono::seconds(5)};
};

using Sleeper = std::function<void(std::chrono::milliseconds)>;

// The pause before attempt `attempt` + 1 (attempt counts from 1): initial_delay doubled each time,
// never above max_delay.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt);

// Whether an error is worth another try: the server or the network may recover.
bool is_retryable(const Error& error);

// Calls `attempt` until it succeeds, fails with a non-retryable error, or the attempts run out; the
// last result is returned.
template <class T>
Result<T> with_retry(const RetryPolicy& policy, const Sleeper& sleep,
                     const std::function<Result<T>()>& attempt) {
  for (int n = 1;; ++n) {
    Result<T> result = attempt();
    if (result || n >= policy.max_attempts || !is_retryable(result.error())) {
      return result;
    }
    sleep(backoff_delay(policy, n));
  }
}

}  // namespace nbs::jobs::nomad
