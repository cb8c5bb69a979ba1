#include "common/clock.hpp"

#include <cstdio>

namespace nbs {

SystemTime now_utc() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string format_utc(SystemTime t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  return buf;
}

namespace {

// Reads exactly `width` digits at `pos`; -1 when any is not a digit.
int read_digits(std::string_view s, std::size_t pos, std::size_t width) {
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return -1;
    }
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<SystemTime> parse_utc(std::string_view s) {
  using namespace std::chrono;
  if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s[19] != '.' || s[23] != 'Z') {
    return std::nullopt;
  }
  const int y = read_digits(s, 0, 4), mo = read_digits(s, 5, 2), d = read_digits(s, 8, 2);
  const int h = read_digits(s, 11, 2), mi = read_digits(s, 14, 2), sec = read_digits(s, 17, 2);
  const int ms = read_digits(s, 20, 3);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms < 0) {
    return std::nullopt;
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return SystemTime{sys_days{ymd}.time_since_epoch() + hours{h} + minutes{mi} + seconds{sec} +
                    milliseconds{ms}};
}

}  // namespace nbs
