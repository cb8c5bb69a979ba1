// Tolerant readers for Nomad's response JSON: a missing key, a null (Go's nil slices and maps) and a
// value of another type all read as empty, because Nomad adds fields between versions and omits others.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/error.hpp"

namespace nbs::jobs::nomad::fields {

std::string str(const boost::json::object& o, std::string_view key);
std::int64_t i64(const boost::json::object& o, std::string_view key);
std::uint64_t u64(const boost::json::object& o, std::string_view key);
bool boolean(const boost::json::object& o, std::string_view key);
const boost::json::object* object(const boost::json::object& o, std::string_view key);
const boost::json::array* array(const boost::json::object& o, std::string_view key);
std::map<std::string, std::string> string_map(const boost::json::object& o, std::string_view key);
std::map<std::string, std::int64_t> int_map(const boost::json::object& o, std::string_view key);
std::vector<std::string> strings(const boost::json::object& o, std::string_view key);

// Parses a response body; fails (internal, naming `origin`) unless it is JSON.
Result<boost::json::value> parse_body(std::string_view body, std::string_view origin);

// Parses a response body that must be an object / an array of objects, and converts each with `fn`.
template <class T, class Fn>
Result<T> parse_object(std::string_view body, std::string_view origin, Fn fn) {
  auto v = parse_body(body, origin);
  if (!v) {
    return v.error();
  }
  if (!v->is_object()) {
    return make_error(ErrorKind::internal, std::string(origin) + ": expected a JSON object");
  }
  return fn(v->as_object());
}

template <class T, class Fn>
Result<std::vector<T>> parse_list(std::string_view body, std::string_view origin, Fn fn) {
  auto v = parse_body(body, origin);
  if (!v) {
    return v.error();
  }
  std::vector<T> out;
  if (v->is_null()) {
    return out;
  }
  if (!v->is_array()) {
    return make_error(ErrorKind::internal, std::string(origin) + ": expected a JSON array");
  }
  for (const auto& item : v->as_array()) {
    if (item.is_object()) {
      out.push_back(fn(item.as_object()));
    }
  }
  return out;
}

}  // namespace nbs::jobs::nomad::fields
