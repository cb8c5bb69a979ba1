#include "jobs/local/test_container.hpp"

#include <algorithm>
#include <array>

namespace nbs::jobs {

namespace {

bool multi_line(std::string_view value) {
  return value.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

bool reserved_for_podman(std::string_view env_name) {
  static constexpr std::array<std::string_view, 7> k_names{
      "PATH", "HOME", "USER", "LANG", "TMPDIR", "REGISTRY_AUTH_FILE", "SHELL"};
  static constexpr std::array<std::string_view, 4> k_prefixes{"XDG_", "CONTAINERS_", "NBS_", "LC_"};
  return std::find(k_names.begin(), k_names.end(), env_name) != k_names.end() ||
         std::any_of(k_prefixes.begin(), k_prefixes.end(),
                     [&](std::string_view p) { return env_name.starts_with(p); });
}

TestContainer test_container(const TestContainerSpec& spec) {
  TestContainer out;
  out.name = spec.phase.name() + "-" + spec.task;
  auto& a = out.argv;
  a = spec.podman.argv({"run"});
  if (!spec.keep) {
    a.emplace_back("--rm");
  }
  a.emplace_back("--pull=always");
  a.insert(a.end(), spec.podman_args.begin(), spec.podman_args.end());
  a.insert(a.end(), {"--name", out.name, "--label", std::string(k_job_label) + "=" + spec.phase.job_id,
                     "--label", std::string(k_phase_label) + "=" + spec.phase.name(), "--label",
                     std::string(k_state_label) + "=" + spec.state_dir});
  for (const auto& [name, value] : spec.env) {
    if (multi_line(value)) {
      out.process_env.push_back(name + "=" + value);
      a.insert(a.end(), {"--env", name});
    } else {
      out.env_file += name + "=" + value + "\n";
    }
  }
  if (!out.env_file.empty()) {
    a.insert(a.end(), {"--env-file", spec.env_file.string()});
  }
  if (spec.command) {
    // The image's ENTRYPOINT would take the command as its arguments: a test would then run whatever the
    // entry point does with them, and pass or fail for reasons unrelated to the command.
    a.insert(a.end(), {"--entrypoint", "/bin/sh", spec.image, "-c", *spec.command});
  } else {
    a.push_back(spec.image);
  }
  return out;
}

std::vector<std::string> remove_phase_containers_argv(const PodmanCommand& podman,
                                                      const std::string& phase_name,
                                                      std::chrono::seconds grace) {
  return podman.argv({"rm", "--force", "--time", std::to_string(grace.count()), "--filter",
                      "label=" + std::string(k_phase_label) + "=" + phase_name});
}

std::vector<std::string> remove_image_argv(const PodmanCommand& podman, const std::string& image) {
  return podman.argv({"rmi", "--force", "--ignore", image});
}

std::vector<std::string> untag_image_argv(const PodmanCommand& podman, const std::string& image) {
  return podman.argv({"untag", image});
}

std::vector<std::string> prune_images_argv(const PodmanCommand& podman) {
  return podman.argv({"image", "prune", "--force"});
}

std::vector<std::string> list_containers_argv(const PodmanCommand& podman, const std::string& state_dir) {
  return podman.argv({"ps", "--all", "--filter", "label=" + std::string(k_state_label) + "=" + state_dir,
                      "--format", "{{.Names}} {{index .Labels \"" + std::string(k_phase_label) + "\"}}"});
}

}  // namespace nbs::jobs
