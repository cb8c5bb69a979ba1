// The typed spec the daemon hands to `nbs-runner` (as JSON, never as a shell line): which job and
// phase, the validated JobRequest, the image references, where the cache, work dir and result file
// are, the credential files, and the deadline. Produced by the daemon and the Nomad spec builders.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "common/job_request.hpp"

namespace nbs {

enum class StorageDriver { overlay, vfs };
std::string_view to_string(StorageDriver driver);

// Paths of files holding secrets (rendered by Nomad templates); the spec never holds a secret itself.
struct RunnerCredentials {
  std::string git_token_file;      // a token for HTTPS basic auth
  std::string git_username;        // user for the token; empty: "x-access-token"
  std::string git_ssh_key_file;    // an SSH private key
  std::string registry_auth_file;  // a containers auth.json
  std::string build_args_file;     // the secret build args' values (encode_secret_build_args)
  std::string build_secrets_dir;   // build.secrets and build.ssh files (BuildSecretEntry::file_name)
  std::string signing_key_file;    // publish with request.sign: the GPG secret key (sign.key_ref's value)

  friend bool operator==(const RunnerCredentials&, const RunnerCredentials&) = default;
};

struct RunnerSpec {
  static constexpr int k_version = 1;

  std::string job_id;
  Phase phase = Phase::build;
  JobRequest request;
  std::string temp_image;                 // "host[:port]/repo:tag"; where build pushes when tests follow
  std::vector<std::string> final_images;  // every published reference, the job id tag first
  std::string cache_dir;                  // holds storage/ (Buildah) and git/ (mirrors)
  std::string work_dir;                   // this task's scratch space (checkout, run root)
  std::string result_path;                // the result file; empty: none is written
  RunnerCredentials credentials;
  std::optional<SystemTime> deadline;  // the runner stops its work at this UTC time
  StorageDriver storage_driver = StorageDriver::overlay;
  std::string build_user;       // runs Buildah as this user when the runner is root
  std::string registries_conf;  // CONTAINERS_REGISTRIES_CONF for Buildah and the registry client
  // publish with request.sign: the lookaside directory the signatures go to (what a registries.d
  // `lookaside: file://<dir>` entry names for consumers)
  std::string signature_store;

  // Where build pushes: the temp image when a publish phase follows (tests, signing), else every final image.
  std::vector<std::string> push_targets() const;

  friend bool operator==(const RunnerSpec&, const RunnerSpec&) = default;
};

// Checks every field (errors carry its JSON path, e.g. "cache_dir" or "request.repo_url") and
// rejects unknown fields.
Result<RunnerSpec> parse_runner_spec(const boost::json::value& value);
Result<RunnerSpec> parse_runner_spec_json(std::string_view text);

// Every field; parse_runner_spec(to_json(s)) == s.
boost::json::object to_json(const RunnerSpec& spec);

// The temporary reference of a job ("host/repo:tmp-<job id>") and the final ones, for spec builders.
std::string temp_image_reference(const JobRequest& request, std::string_view job_id);
std::vector<std::string> final_image_references(const JobRequest& request, std::string_view job_id);

}  // namespace nbs
