// Tolerant reads of the daemon's JSON answers: a missing or mistyped field reads as empty, because the
// client only displays what it gets.
#pragma once

#include <string>
#include <string_view>

#include <boost/json.hpp>

namespace nbs::cli {

inline std::string string_at(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace nbs::cli
