#include "jobs/nomad/json_fields.hpp"

#include <algorithm>
#include <limits>

#include <boost/json/parse.hpp>

namespace nbs::jobs::nomad::fields {
namespace json = boost::json;

namespace {
const json::value* find(const json::object& o, std::string_view key) {
  return o.if_contains(key);
}
}  // namespace

std::string str(const json::object& o, std::string_view key) {
  const auto* v = find(o, key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t i64(const json::object& o, std::string_view key) {
  const auto* v = find(o, key);
  if (v == nullptr) {
    return 0;
  }
  if (v->is_int64()) {
    return v->as_int64();
  }
  using limits = std::numeric_limits<std::int64_t>;
  if (v->is_uint64()) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v->as_uint64(), limits::max()));
  }
  if (v->is_double()) {
    // Converting a double outside int64 is undefined behaviour: such a value reads as the nearest end.
    const double d = v->as_double();
    if (d >= static_cast<double>(limits::max())) {
      return limits::max();
    }
    if (d <= static_cast<double>(limits::min())) {
      return limits::min();
    }
    return static_cast<std::int64_t>(d);
  }
  return 0;
}

std::uint64_t u64(const json::object& o, std::string_view key) {
  const auto* v = find(o, key);
  if (v != nullptr && v->is_uint64()) {
    return v->as_uint64();
  }
  const auto n = i64(o, key);
  return n < 0 ? 0 : static_cast<std::uint64_t>(n);
}

bool boolean(const json::object& o, std::string_view key) {
  const auto* v = find(o, key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

const json::object* object(const json::object& o, std::string_view key) {
  const auto* v = find(o, key);
  return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
}

const json::array* array(const json::object& o, std::string_view key) {
  const auto* v = find(o, key);
  return v != nullptr && v->is_array() ? &v->as_array() : nullptr;
}

std::map<std::string, std::string> string_map(const json::object& o, std::string_view key) {
  std::map<std::string, std::string> out;
  if (const auto* m = object(o, key)) {
    for (const auto& [k, v] : *m) {
      if (v.is_string()) {
        out.emplace(std::string(k), std::string(v.as_string()));
      }
    }
  }
  return out;
}

std::map<std::string, std::int64_t> int_map(const json::object& o, std::string_view key) {
  std::map<std::string, std::int64_t> out;
  if (const auto* m = object(o, key)) {
    for (const auto& [k, v] : *m) {
      out.emplace(std::string(k), i64(*m, k));
    }
  }
  return out;
}

std::vector<std::string> strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* a = array(o, key)) {
    for (const auto& v : *a) {
      if (v.is_string()) {
        out.emplace_back(v.as_string());
      }
    }
  }
  return out;
}

Result<json::value> parse_body(std::string_view body, std::string_view origin) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    return make_error(ErrorKind::internal, std::string(origin) + ": response is not JSON: " + ec.message());
  }
  return v;
}

}  // namespace nbs::jobs::nomad::fields
