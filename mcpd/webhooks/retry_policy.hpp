// When a failed webhook attempt is worth repeating, and how long to wait first: capped exponential
// backoff with jitter, or the receiver's Retry-After (capped) when it sends one with 429 or 503.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

#include "common/error.hpp"
#include "common/http_types.hpp"

namespace nbs::mcpd {

struct WebhookRetryPolicy {
  int max_attempts = 4;  // the first try included
  std::chrono::milliseconds initial_backoff{std::chrono::seconds(1)};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(30)};
  // A longer Retry-After is cut to this: a receiver must not park a delivery for hours.
  std::chrono::milliseconds max_retry_after{std::chrono::seconds(60)};
};

enum class AttemptVerdict { delivered, retry, give_up };

// 2xx delivered; 408, 429 and 5xx retry; anything else (other 4xx, 3xx: redirects are not followed,
// since a redirect could point anywhere) gives up.
AttemptVerdict judge_status(int status);

// Failures to talk (refused, reset, DNS, TLS: unavailable; timeout) retry; the rest give up.
AttemptVerdict judge_error(const Error& error);

// Retry-After as delta-seconds or an HTTP-date, relative to `now`; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

// The wait before attempt `attempt + 1` (attempt counts from 1): half of the capped exponential step
// plus a random share of the other half, so a receiver that comes back is not hit by every sender at
// once. A Retry-After on `response` (429, 503) replaces it, capped by max_retry_after.
std::chrono::milliseconds retry_delay(const WebhookRetryPolicy& policy, int attempt,
                                      const HttpResponse* response, std::mt19937_64& random);

}  // namespace nbs::mcpd
