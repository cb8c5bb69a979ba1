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

// How much of the parser's rules a schema of the job request spells out.
enum class SchemaDetail {
  // Every rule: lengths, patterns, ranges, counts. For clients that validate before they send
  // (GET /mcp/submitJob/schema, nbs-job-schema) and the documentation.
  full,
  // Types, enums, defaults, required fields, unknown fields refused and the structure, with a line of
  // description for each top-level field only and without the deprecated aliases: submitJob's
  // inputSchema, which every agent pays for in tokens before its first call. The parser still enforces
  // the rules left out (and reads the aliases) and names the field and the reason when one is broken.
  advertised,
};

// The request's JSON Schema (draft 2020-12), generated from the one field definition.
boost::json::object job_request_schema(SchemaDetail detail = SchemaDetail::full);

}  // namespace nbs
