// JSON indented by two spaces, one member per line and a final newline: the form of the checked-in
// golden files, so that a change shows as a readable diff.
#pragma once

#include <ostream>
#include <sstream>
#include <string>

#include <boost/json.hpp>

namespace nbs::test_support {

inline void pretty_json(std::ostream& os, const boost::json::value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
  if (v.is_object() && !v.as_object().empty()) {
    os << "{\n";
    bool first = true;
    for (const auto& [k, x] : v.as_object()) {
      os << (first ? "" : ",\n") << pad << boost::json::serialize(boost::json::value(k)) << ": ";
      pretty_json(os, x, indent + 2);
      first = false;
    }
    os << "\n" << std::string(static_cast<std::size_t>(indent), ' ') << "}";
  } else if (v.is_array() && !v.as_array().empty()) {
    os << "[\n";
    bool first = true;
    for (const auto& x : v.as_array()) {
      os << (first ? "" : ",\n") << pad;
      pretty_json(os, x, indent + 2);
      first = false;
    }
    os << "\n" << std::string(static_cast<std::size_t>(indent), ' ') << "]";
  } else {
    os << boost::json::serialize(v);
  }
}

inline std::string pretty_json(const boost::json::value& v) {
  std::ostringstream os;
  pretty_json(os, v, 0);
  os << "\n";
  return os.str();
}

}  // namespace nbs::test_support
