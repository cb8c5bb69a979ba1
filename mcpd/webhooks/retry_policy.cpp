#include "mcpd/webhooks/retry_policy.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <sstream>

namespace nbs::mcpd {

using std::chrono::milliseconds;

AttemptVerdict judge_status(int status) {
  if (status >= 200 && status < 300) {
    return AttemptVerdict::delivered;
  }
  if (status == 408 || status == 429 || status >= 500) {
    return AttemptVerdict::retry;
  }
  return AttemptVerdict::give_up;
}

AttemptVerdict judge_error(const Error& error) {
  return error.kind == ErrorKind::unavailable || error.kind == ErrorKind::timeout ? AttemptVerdict::retry
                                                                                  : AttemptVerdict::give_up;
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  while (!value.empty() && value.back() == ' ') {
    value.remove_suffix(1);
  }
  if (value.empty()) {
    return std::nullopt;
  }
  long long seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc{} && end == value.data() + value.size()) {
    return seconds < 0 ? std::nullopt : std::optional<milliseconds>(std::chrono::seconds(seconds));
  }
  // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the only date form RFC 9110 asks senders to use.
  std::tm tm{};
  std::istringstream in{std::string(value)};
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) {
    return std::nullopt;
  }
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(at - now));
}

milliseconds retry_delay(const WebhookRetryPolicy& policy, int attempt, const HttpResponse* response,
                         std::mt19937_64& random) {
  if (response != nullptr && (response->status == 429 || response->status == 503)) {
    if (auto header = response->header("Retry-After")) {
      if (auto wait = parse_retry_after(*header, std::chrono::system_clock::now())) {
        return std::min(*wait, policy.max_retry_after);
      }
    }
  }
  milliseconds step = policy.initial_backoff;
  for (int i = 1; i < attempt && step < policy.max_backoff; ++i) {
    step *= 2;
  }
  step = std::min(step, policy.max_backoff);
  const auto half = step.count() / 2;
  std::uniform_int_distribution<long long> share(0, step.count() - half);
  return milliseconds(half + share(random));
}

}  // namespace nbs::mcpd
