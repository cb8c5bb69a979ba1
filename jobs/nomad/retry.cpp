#include "jobs/nomad/retry.hpp"

#include <algorithm>

namespace nbs::jobs::nomad {

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt) {
  auto delay = policy.initial_delay;
  for (int i = 1; i < attempt && delay < policy.max_delay; ++i) {
    delay *= 2;
  }
  return std::min(delay, policy.max_delay);
}

bool is_retryable(const Error& error) {
  return error.kind == ErrorKind::unavailable || error.kind == ErrorKind::timeout ||
         error.kind == ErrorKind::rate_limited;
}

}  // namespace nbs::jobs::nomad
