#include "tests/nomad_sim/wire.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include <openssl/rand.h>

namespace nbs::nomad_sim {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339(std::int64_t unix_ns) {
  if (unix_ns == 0) {
    return "0001-01-01T00:00:00Z";
  }
  const std::time_t secs = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  const auto frac = static_cast<long>(unix_ns % 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> head{};
  std::strftime(head.data(), head.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = head.data();
  if (frac != 0) {
    std::array<char, 16> digits{};
    std::snprintf(digits.data(), digits.size(), ".%09ld", frac);
    std::string f = digits.data();
    while (f.back() == '0') {
      f.pop_back();
    }
    out += f;
  }
  return out + "Z";
}

std::string new_uuid() {
  std::array<unsigned char, 16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out += '-';
    }
    out += k_hex[b[i] >> 4];
    out += k_hex[b[i] & 0x0f];
  }
  return out;
}

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  bool negative = false;
  if (text.front() == '-' || text.front() == '+') {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") {
    return std::chrono::nanoseconds{0};
  }
  double total = 0;
  while (!text.empty()) {
    std::size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
      ++i;
    }
    if (i == 0) {
      return std::nullopt;
    }
    const std::string number{text.substr(0, i)};
    text.remove_prefix(i);
    std::size_t u = 0;
    while (u < text.size() && !((text[u] >= '0' && text[u] <= '9') || text[u] == '.')) {
      ++u;
    }
    const std::string_view unit = text.substr(0, u);
    text.remove_prefix(u);
    double scale = 0;
    if (unit == "ns") {
      scale = 1;
    } else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") {
      scale = 1e3;
    } else if (unit == "ms") {
      scale = 1e6;
    } else if (unit == "s") {
      scale = 1e9;
    } else if (unit == "m") {
      scale = 60e9;
    } else if (unit == "h") {
      scale = 3600e9;
    } else {
      return std::nullopt;
    }
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) {
      return std::nullopt;
    }
    total += value * scale;
  }
  const auto ns = static_cast<std::int64_t>(std::llround(total));
  return std::chrono::nanoseconds{negative ? -ns : ns};
}

namespace {

// Formats v / 10^digits with trailing zeros of the fraction removed, as Go's fmtFrac does.
std::string fixed_trimmed(std::int64_t v, int digits) {
  std::int64_t scale = 1;
  for (int i = 0; i < digits; ++i) {
    scale *= 10;
  }
  std::string out = std::to_string(v / scale);
  std::int64_t frac = v % scale;
  if (frac != 0) {
    std::string f = std::to_string(frac);
    f.insert(0, static_cast<std::size_t>(digits) - f.size(), '0');
    while (f.back() == '0') {
      f.pop_back();
    }
    out += "." + f;
  }
  return out;
}

}  // namespace

std::string format_go_duration(std::chrono::nanoseconds d) {
  std::int64_t ns = d.count();
  if (ns == 0) {
    return "0s";
  }
  std::string sign = ns < 0 ? "-" : "";
  ns = ns < 0 ? -ns : ns;
  if (ns < 1'000) {
    return sign + std::to_string(ns) + "ns";
  }
  if (ns < 1'000'000) {
    return sign + fixed_trimmed(ns, 3) + "\xc2\xb5s";
  }
  if (ns < 1'000'000'000) {
    return sign + fixed_trimmed(ns, 6) + "ms";
  }
  const std::int64_t hours = ns / 3'600'000'000'000;
  ns %= 3'600'000'000'000;
  const std::int64_t minutes = ns / 60'000'000'000;
  ns %= 60'000'000'000;
  std::string out = sign;
  if (hours > 0) {
    out += std::to_string(hours) + "h";
  }
  if (hours > 0 || minutes > 0) {
    out += std::to_string(minutes) + "m";
  }
  return out + fixed_trimmed(ns, 9) + "s";
}

std::string multierror_text(const std::vector<std::string>& errors) {
  if (errors.size() == 1) {
    return "1 error occurred:\n\t* " + errors.front() + "\n\n";
  }
  std::string out = std::to_string(errors.size()) + " errors occurred:\n\t";
  for (std::size_t i = 0; i < errors.size(); ++i) {
    out += (i == 0 ? "* " : "\n\t* ") + errors[i];
  }
  return out + "\n\n";
}

const json::value* find_field(const json::object& obj, std::string_view key) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->value().is_null()) {
    return nullptr;
  }
  return &it->value();
}

std::optional<std::int64_t> as_int(const json::value& v) {
  if (v.is_int64()) {
    return v.get_int64();
  }
  if (v.is_uint64()) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    return static_cast<std::int64_t>(v.get_double());
  }
  return std::nullopt;
}

std::int64_t int_field(const json::object& obj, std::string_view key, std::int64_t fallback) {
  const json::value* v = find_field(obj, key);
  if (v == nullptr) {
    return fallback;
  }
  return as_int(*v).value_or(fallback);
}

std::string as_text(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : std::string();
}

std::string string_field(const json::object& obj, std::string_view key, std::string_view fallback) {
  const json::value* v = find_field(obj, key);
  if (v == nullptr || !v->is_string()) {
    return std::string(fallback);
  }
  return std::string(v->get_string());
}

bool bool_field(const json::object& obj, std::string_view key, bool fallback) {
  const json::value* v = find_field(obj, key);
  return v != nullptr && v->is_bool() ? v->get_bool() : fallback;
}

const json::object* object_field(const json::object& obj, std::string_view key) {
  const json::value* v = find_field(obj, key);
  return v != nullptr ? v->if_object() : nullptr;
}

const json::array* array_field(const json::object& obj, std::string_view key) {
  const json::value* v = find_field(obj, key);
  return v != nullptr ? v->if_array() : nullptr;
}

}  // namespace nbs::nomad_sim
