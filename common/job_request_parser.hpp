// The one parser and validator of job requests, used by every entry point (MCP, REST, CLI).
// It checks every field's type and grammar, rejects unknown fields, applies every default, and
// reports all problems at once, each with the JSON path of its field.
#pragma once

#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/error.hpp"
#include "common/job_request.hpp"

namespace nbs {

// From a parsed JSON value. Numbers may also be given as numeric strings.
Result<JobRequest> parse_job_request(const boost::json::value& value);

// From JSON text.
Result<JobRequest> parse_job_request_json(std::string_view text);

// From YAML text: converted to the same JSON value first, so the errors are identical.
Result<JobRequest> parse_job_request_yaml(std::string_view text);

// Every field, defaults included; parse_job_request(to_json(r)) == r.
boost::json::object to_json(const JobRequest& request);

// The request's JSON Schema (draft 2020-12), for MCP inputSchema and the documentation.
boost::json::object job_request_schema();

}  // namespace nbs
