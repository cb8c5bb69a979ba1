// `nbs-runner run job.yaml`: manual debugging on a node. Builds the job file's image, runs its tests
// with podman (rootless, as the build user when root) and publishes it, printing every phase's events
// (text on a terminal by default).
#pragma once

#include <string>

#include "common/phase_log_writer.hpp"
#include "runner/phase_context.hpp"

namespace nbs::runner {

struct RunJobOptions {
  std::string job_file;
  std::string cache_dir = "/var/cache/nbs";
  std::string work_dir;  // empty: a new directory under /tmp
  std::string build_user = "build";
  std::string registries_conf;
  std::string auth_file;
  std::string git_token_file;
  std::string storage_driver = "overlay";
  std::string podman = "podman";
  std::string signing_key_file;  // a job with `sign`: the GPG secret key, and where signatures go
  std::string signature_store;
  LogFormat format = LogFormat::text;
};

ExitCode run_job_file(const RunJobOptions& run, const RunnerOptions& options, const ProcessStop& stop);

// `podman … run --rm … IMAGE sh -c COMMAND` (or the image's own entry point when `command` is empty).
std::vector<std::string> podman_test_argv(const std::string& podman, const std::string& root,
                                          const std::string& run_root, const std::string& image,
                                          const std::string& command);

}  // namespace nbs::runner
