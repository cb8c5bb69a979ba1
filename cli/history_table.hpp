// The human text of a getHistory answer: one row per job under a header, columns aligned, and a count.
#pragma once

#include <string>

#include <boost/json/object.hpp>

namespace nbs::cli {

// "JOB  STATUS  OWNER  GIT_REF  STARTED  IMAGE" rows, then "N of TOTAL jobs" (or "no jobs").
std::string format_history(const boost::json::object& answer, long long offset);

}  // namespace nbs::cli
