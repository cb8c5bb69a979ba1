// A token bucket per client, for the per-client rate limit on submitJob: each client's bucket holds up
// to `burst` tokens and refills at `per_minute` tokens a minute; a call takes one. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace nbs::mcpd {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  // `per_minute` > 0 and `burst` >= 1 (the caller validates; a burst of 0 is taken as 1).
  RateLimiter(double per_minute, std::size_t burst, Now now = &Clock::now);

  // Takes a token from `client`'s bucket. Returns nullopt when one was taken, else how long until the
  // next token is available (at least 1 ms).
  std::optional<std::chrono::milliseconds> try_acquire(const std::string& client);

  // Gives a token back, up to the burst, for a call that turned out not to count (invalid input).
  void refund(const std::string& client);

  double per_minute() const { return per_minute_; }
  std::size_t burst() const { return burst_; }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };

  // Refills `bucket` up to `now`.
  void refill(Bucket& bucket, Clock::time_point now) const;
  // Drops full buckets (they are the same as no bucket) when the map grows past k_max_clients.
  void prune(Clock::time_point now);

  static constexpr std::size_t k_max_clients = 10'000;

  double per_minute_;
  std::size_t burst_;
  Now now_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace nbs::mcpd
