// The values of a job's secret build args (`secret_build_args`): which they are, and taking them out of
// a request and putting them back. The daemon keeps them apart from the job record (the record shows
// k_masked_value instead) and hands them only to the build phase, whose runner masks them in every log
// line and passes them to Buildah through its environment, never its command line.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/job_request.hpp"

namespace nbs {

// What a secret build arg's value reads as wherever it is shown or stored outside the build.
inline constexpr std::string_view k_masked_value = "***";

// Name → value of every build arg marked secret.
std::map<std::string, std::string> secret_build_arg_values(const JobRequest& request);

// Replaces each secret build arg's value with k_masked_value; returns the values it replaced.
std::map<std::string, std::string> take_secret_build_args(JobRequest& request);

// Puts taken values back; names the request does not mark secret are ignored.
void restore_secret_build_args(JobRequest& request, const std::map<std::string, std::string>& values);

// The values as the Nomad executor hands them to a build task: base64 of a JSON object name → value,
// kept in a Nomad Variable and written to the task's secrets dir by a template. Base64 because a
// template copies the item verbatim into the file, and any byte of a value may follow.
std::string encode_secret_build_args(const std::map<std::string, std::string>& values);
// invalid_argument naming what is wrong when `text` is not what encode_secret_build_args wrote.
Result<std::map<std::string, std::string>> decode_secret_build_args(std::string_view text);

}  // namespace nbs
