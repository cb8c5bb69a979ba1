// The human text of a getStatus answer: the full report of `nbs status`, and the summary printed when
// a watched job ends (image references and digest, or the failed phase, its error, the excerpt and
// the command that shows the whole log).
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "common/clock.hpp"

namespace nbs::cli {

// Final jobs: "SUCCEEDED in 1m05s" with an "  image:" line per reference and "  digest:"; "FAILED in
// the build phase after 3s: <error>" with "  | <line>" per excerpt line and a `nbs logs` hint; "KILLED
// after 12s". A job still running: "still BUILDING after 1m05s".
std::string format_summary(const boost::json::object& answer, SystemTime now);

// `nbs status`: one "key: value" line per known field, then the summary of a final job.
std::string format_status(const boost::json::object& answer, SystemTime now);

}  // namespace nbs::cli
