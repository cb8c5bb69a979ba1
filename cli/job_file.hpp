// Reading the job `nbs submit` sends: the job file (YAML or JSON, or "-" for stdin), merged over the
// defaults of an optional --global file, with --image-tags applied last. The result goes to the daemon
// as is: validating it is the daemon's job (one validator).
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/error.hpp"

namespace nbs::cli {

struct JobFileOptions {
  std::string job_path;                   // a file, or "-" for standard input
  std::string global_path;                // "": no defaults
  std::optional<std::string> image_tags;  // "a,b": replaces image_tags; "": no extra tags
};

// Parses one document: strict JSON when `origin` ends in ".json", else YAML (which reads JSON too).
// Errors (invalid_argument) start with the origin and the line: "job.yaml:3:5: duplicate key 'owner'",
// "job.json:2:9: syntax error"; a document that is not a mapping fails with "<origin>: ...". An empty
// document is an empty mapping.
Result<boost::json::object> parse_job_document(std::string_view text, std::string_view origin);

// Reads and parses `path` ("-": `stdin_stream`, named "<stdin>" in errors); errors name the path.
Result<boost::json::object> read_job_document(const std::string& path, std::istream& stdin_stream);

// `job` over `defaults`: a key of the job wins; when both values are mappings they merge key by key,
// recursively; lists and scalars are replaced whole; a null in the job removes the default.
boost::json::object merge_job(boost::json::object defaults, const boost::json::object& job);

// "a, b,,c" → ["a", "b", "c"]; "" → [].
std::vector<std::string> split_tags(std::string_view text);

// The whole job: global defaults, the job file, then --image-tags.
Result<boost::json::object> load_job(const JobFileOptions& options, std::istream& stdin_stream);

}  // namespace nbs::cli
