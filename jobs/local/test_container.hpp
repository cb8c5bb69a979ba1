// How the local executor runs a test task as a podman container, and the podman commands that make sure
// no container outlives its job. Stopping the `podman run` client does not stop its container, so every
// container carries its job and phase in its name and labels: it can be stopped, removed and found again
// after a daemon restart.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "jobs/executor.hpp"
#include "jobs/local/podman_storage.hpp"

namespace nbs::jobs {

inline constexpr std::string_view k_job_label = "nbs.job";
inline constexpr std::string_view k_phase_label = "nbs.phase";
// The state directory of the daemon that started the container: two daemons on one machine sharing a
// build user each sweep only their own containers.
inline constexpr std::string_view k_state_label = "nbs.state";

struct TestContainerSpec {
  PodmanCommand podman;
  std::vector<std::string> podman_args;  // inserted after `podman run`
  PhaseId phase;
  std::string task;       // "cmd-0", …, "entry-point"
  std::string state_dir;  // k_state_label
  std::string image;      // the job's temporary image
  std::optional<std::string>
      command;  // run through /bin/sh -c with the ENTRYPOINT overridden; none: the image's own
  std::map<std::string, std::string> env;
  std::filesystem::path env_file;  // where the single-line values go (--env-file)
  // Without --rm: the container stays after its test, for its reports to be copied out; the supervisor
  // removes it then (report_collect.hpp), stop() and sweep() when it is stopped or left behind.
  bool keep = false;
};

// A test task, ready to start: its argv never holds an env value (`ps` shows argv to every user).
struct TestContainer {
  std::string name;
  std::vector<std::string> argv;
  std::string env_file;                  // "NAME=value" lines for --env-file; empty: no file
  std::vector<std::string> process_env;  // "NAME=value" for multi-line values, named by `--env NAME`
};

TestContainer test_container(const TestContainerSpec& spec);

// podman's `--env NAME` takes the value from podman's own environment, which holds the variables
// podman itself runs with: a multi-line value can only travel that way under another name.
bool reserved_for_podman(std::string_view env_name);

// Stops (SIGTERM, SIGKILL after `grace`) and removes every container of a phase.
std::vector<std::string> remove_phase_containers_argv(const PodmanCommand& podman,
                                                      const std::string& phase_name,
                                                      std::chrono::seconds grace);

// Removes a pulled test image and any container still using it.
std::vector<std::string> remove_image_argv(const PodmanCommand& podman, const std::string& image);

// Takes the name off a pulled test image at its phase's end, leaving its layers: deleting layers while
// another phase pulls an image that shares one makes that pull fail ("layer not known"), so they go in
// prune_images_argv() once no phase runs.
std::vector<std::string> untag_image_argv(const PodmanCommand& podman, const std::string& image);

// Removes the images no name and no container refers to any more (the untagged test images).
std::vector<std::string> prune_images_argv(const PodmanCommand& podman);

// Lists every container started for `state_dir`: one "<name> <phase name>" line each.
std::vector<std::string> list_containers_argv(const PodmanCommand& podman, const std::string& state_dir);

}  // namespace nbs::jobs
