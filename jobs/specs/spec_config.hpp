// The daemon's settings for the Nomad jobs it submits: where they run (namespace, region,
// datacenters, node pool), how the runner is started (driver, path or image, user), the cache host
// volume, kill behaviour, log rotation, per-phase default resources and the Vault role.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/job_request.hpp"

namespace nbs::jobs::specs {

// How build, publish and cleanup start nbs-runner: from the node (exec, raw_exec) or from the runner
// image (docker, podman).
enum class RunnerDriver { exec, raw_exec, docker, podman };
// How test tasks run the built image.
enum class ContainerDriver { docker, podman };

std::string_view to_string(RunnerDriver driver);
std::string_view to_string(ContainerDriver driver);

struct NomadSpecConfig {
  std::string namespace_name;            // empty: Nomad's "default"
  std::string region;                    // empty: the agent's region
  std::vector<std::string> datacenters;  // empty: Nomad's ["*"]
  std::string node_pool;                 // empty: "default"
  int priority = 50;

  RunnerDriver runner_driver = RunnerDriver::exec;
  std::string runner_path = "/usr/local/bin/nbs-runner";  // on the node, or inside runner_image
  std::string runner_image;                               // docker/podman: the image holding nbs-runner
  std::string build_user = "nbs";                         // Task.User of runner tasks; empty: the driver's
  ContainerDriver test_driver = ContainerDriver::docker;

  std::string cache_volume = "nbs-cache";    // the client's host volume (build phase only)
  std::string cache_dir = "/var/cache/nbs";  // where the runner sees it (raw_exec: the host path)

  std::chrono::seconds kill_timeout{30};  // time for the runner to finish a push after SIGTERM
  std::string kill_signal = "SIGTERM";
  int log_max_files = 10;
  int log_max_file_size_mb = 10;

  std::map<Phase, ResolvedResources> default_resources;  // missing phases: nbs::default_resources()

  std::string vault_role = "nbs";  // Vault role the tasks' workload identity logs in with
  std::string vault_cluster;       // empty: the default cluster
  // Audience of an explicit vault_default identity; empty: rely on the agent's vault.default_identity.
  std::vector<std::string> vault_audience = {"vault.io"};
  std::chrono::seconds vault_identity_ttl{std::chrono::hours(1)};
};

}  // namespace nbs::jobs::specs
