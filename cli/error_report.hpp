// How `nbs` shows an error: to a person, one line per bad field; to a script (--json), the daemon's
// error shape {"error", "code", "details": [{"field", "reason"}]}.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "common/error.hpp"

namespace nbs::cli {

// "nbs: <message>\n", or with field errors "nbs: <context> (N errors):\n" followed by "  <path>: <reason>\n"
// per field (just "  <reason>" when the path is empty). `context` says what was rejected ("the daemon
// rejected the job"); empty: "invalid request". An unauthorized error adds how to pass a token.
std::string format_error(const Error& error, std::string_view context = "");

// The error as the daemon's REST mirror writes it.
boost::json::object error_json(const Error& error);

}  // namespace nbs::cli
