#include "mcpd/mcp/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace nbs::mcpd {

RateLimiter::RateLimiter(double per_minute, std::size_t burst, Now now)
    : per_minute_(per_minute), burst_(std::max<std::size_t>(burst, 1)), now_(std::move(now)) {}

void RateLimiter::refill(Bucket& bucket, Clock::time_point now) const {
  const double minutes = std::chrono::duration<double, std::ratio<60>>(now - bucket.updated).count();
  if (minutes > 0) {
    bucket.tokens = std::min(static_cast<double>(burst_), bucket.tokens + minutes * per_minute_);
    bucket.updated = now;
  }
}

void RateLimiter::prune(Clock::time_point now) {
  if (buckets_.size() < k_max_clients) {
    return;
  }
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= static_cast<double>(burst_) ? buckets_.erase(it) : std::next(it);
  }
}

std::optional<std::chrono::milliseconds> RateLimiter::try_acquire(const std::string& client) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    prune(now);
    it = buckets_.emplace(client, Bucket{static_cast<double>(burst_), now}).first;
  }
  Bucket& bucket = it->second;
  refill(bucket, now);
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  const double missing_minutes = (1.0 - bucket.tokens) / per_minute_;
  const auto wait = static_cast<std::int64_t>(std::ceil(missing_minutes * 60'000.0));
  return std::chrono::milliseconds(std::max<std::int64_t>(wait, 1));
}

void RateLimiter::refund(const std::string& client) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    return;  // pruned as full: nothing to give back
  }
  refill(it->second, now);
  it->second.tokens = std::min(static_cast<double>(burst_), it->second.tokens + 1.0);
}

}  // namespace nbs::mcpd
