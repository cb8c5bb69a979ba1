// Wall-clock time as the service prints it: UTC, ISO 8601 with milliseconds ("2026-11-26T18:54:44.123Z").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace nbs {

using SystemTime = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

SystemTime now_utc();

// "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string format_utc(SystemTime t);

// Accepts exactly the format format_utc() writes; nullopt otherwise.
std::optional<SystemTime> parse_utc(std::string_view text);

}  // namespace nbs
