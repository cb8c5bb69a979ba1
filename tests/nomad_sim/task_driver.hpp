// Turns a task's driver and Config into a process to start: raw_exec/exec run the command directly,
// docker/podman run `podman run` with the alloc dirs, volumes and env mapped like Nomad's drivers.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "common/error.hpp"
#include "tests/nomad_sim/task_env.hpp"
#include "tests/nomad_sim/task_process.hpp"

namespace nbs::nomad_sim {

struct VolumeBinding {
  std::filesystem::path host_path;
  std::string destination;
  bool read_only = false;
};

struct DriverInput {
  std::string driver;
  boost::json::object config;
  const TaskIdentity* identity = nullptr;
  std::filesystem::path alloc_root;  // <data>/allocs/<alloc id>
  std::filesystem::path task_root;   // <alloc root>/<task>
  std::vector<VolumeBinding> volumes;
  std::string user;  // Task.User ("" = the simulator's user)
  std::string podman = "podman";
};

struct DriverLaunch {
  LaunchSpec spec;
  std::string container_name;  // set for podman tasks, to clean up after a forced kill
};

// True for the drivers this simulator can run (raw_exec, exec, docker, podman, mock_driver).
bool driver_supported(const std::string& driver);

// The directories as the task sees them (host paths, or /alloc, /local, /secrets in a container).
TaskDirs task_dirs_for(const DriverInput& in);

// `podman` with the global flags every call needs (as root: cgroupfs, file events): the same for the
// `podman run` of a task and for stopping or removing its container.
std::vector<std::string> podman_command(const std::string& podman);

// The process to start. Errors are the task's "Failed Validation" text (e.g. a missing command).
nbs::Result<DriverLaunch> build_launch(const DriverInput& in, const EnvMap& env);

}  // namespace nbs::nomad_sim
