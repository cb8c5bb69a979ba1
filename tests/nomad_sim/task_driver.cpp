#include "tests/nomad_sim/task_driver.hpp"

#include <algorithm>
#include <unistd.h>

#include "tests/nomad_sim/wire.hpp"

extern char** environ;  // NOLINT: the simulator's environment, inherited by raw_exec tasks as in Nomad

namespace nbs::nomad_sim {

namespace {

bool is_container(const std::string& driver) {
  return driver == "docker" || driver == "podman";
}

nbs::Error missing(const char* field) {
  return nbs::make_error(nbs::ErrorKind::invalid_argument,
                         std::string("Missing required argument: The argument \"") + field +
                             "\" is required, but no definition was found.");
}

std::vector<std::string> string_list(const json::object& config, std::string_view key, const EnvMap& env,
                                     const TaskIdentity& id) {
  std::vector<std::string> out;
  if (const json::array* list = array_field(config, key)) {
    for (const auto& v : *list) {
      out.push_back(interpolate(v.is_string() ? std::string(v.get_string()) : json::serialize(v), env, id));
    }
  }
  return out;
}

std::vector<std::string> host_environment(const EnvMap& env) {
  EnvMap merged;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) {
      merged[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  for (const auto& [k, v] : env) {
    merged[k] = v;
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : merged) {
    out.push_back(k + "=" + v);
  }
  return out;
}

nbs::Result<DriverLaunch> exec_launch(const DriverInput& in, const EnvMap& env) {
  const std::string command = interpolate(string_field(in.config, "command"), env, *in.identity);
  if (command.empty()) {
    return missing("command");
  }
  DriverLaunch out;
  out.spec.argv.push_back(command);
  for (auto& a : string_list(in.config, "args", env, *in.identity)) {
    out.spec.argv.push_back(std::move(a));
  }
  out.spec.env = host_environment(env);
  const std::string work_dir = string_field(in.config, "work_dir");
  out.spec.cwd = work_dir.empty() ? in.task_root.string() : interpolate(work_dir, env, *in.identity);
  return out;
}

nbs::Result<DriverLaunch> podman_launch(const DriverInput& in, const EnvMap& env) {
  const TaskIdentity& id = *in.identity;
  const std::string image = interpolate(string_field(in.config, "image"), env, id);
  if (image.empty()) {
    return missing("image");
  }
  DriverLaunch out;
  out.container_name = "nomad-sim-" + id.task + "-" + id.alloc_id;
  auto& a = out.spec.argv;
  const bool root = ::geteuid() == 0;
  a = podman_command(in.podman);
  a.insert(a.end(), {"run", "--rm", "--name", out.container_name});
  if (const json::object* labels = object_field(in.config, "labels")) {
    for (const auto& [k, v] : *labels) {
      a.insert(a.end(),
               {"--label", std::string(k) + "=" + (v.is_string() ? std::string(v.get_string()) : "")});
    }
  }
  if (root) {
    a.insert(a.end(),
             {"--runtime", "runc", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"});
  }
  const std::string network = string_field(in.config, "network_mode");
  a.insert(a.end(), {"--network", network.empty() || network == "bridge" ? "host" : network});
  a.insert(a.end(), {"-v", (in.alloc_root / "alloc").string() + ":/alloc", "-v",
                     (in.task_root / "local").string() + ":/local", "-v",
                     (in.task_root / "secrets").string() + ":/secrets"});
  for (const auto& v : string_list(in.config, "volumes", env, id)) {
    std::string spec = v;
    if (!spec.empty() && spec.front() != '/') {
      spec = (in.task_root / spec).string();  // relative host paths are relative to the task dir
    }
    a.insert(a.end(), {"-v", spec});
  }
  for (const auto& v : in.volumes) {
    a.insert(a.end(), {"-v", v.host_path.string() + ":" + v.destination + (v.read_only ? ":ro" : "")});
  }
  for (const auto& [k, v] : env) {
    a.insert(a.end(), {"-e", k + "=" + v});
  }
  if (!in.user.empty()) {
    a.insert(a.end(), {"--user", in.user});
  }
  std::string work_dir = string_field(in.config, in.driver == "podman" ? "working_dir" : "work_dir");
  if (!work_dir.empty()) {
    a.insert(a.end(), {"-w", interpolate(work_dir, env, id)});
  }
  if (bool_field(in.config, "privileged")) {
    a.emplace_back("--privileged");
  }
  if (bool_field(in.config, "init")) {
    a.emplace_back("--init");
  }
  for (const auto& c : string_list(in.config, "cap_add", env, id)) {
    a.insert(a.end(), {"--cap-add", c});
  }
  for (const auto& c : string_list(in.config, "cap_drop", env, id)) {
    a.insert(a.end(), {"--cap-drop", c});
  }
  const auto entrypoint = string_list(in.config, "entrypoint", env, id);
  if (!entrypoint.empty()) {
    json::array ep(entrypoint.begin(), entrypoint.end());
    a.push_back("--entrypoint=" + json::serialize(ep));
  }
  a.push_back(image);
  const std::string command = interpolate(string_field(in.config, "command"), env, id);
  if (!command.empty()) {
    a.push_back(command);
  }
  for (auto& arg : string_list(in.config, "args", env, id)) {
    a.push_back(std::move(arg));
  }
  out.spec.env = host_environment({});
  out.spec.cwd = in.task_root.string();
  return out;
}

}  // namespace

std::vector<std::string> podman_command(const std::string& podman) {
  std::vector<std::string> argv{podman};
  if (::geteuid() == 0) {  // the working root set-up of buildah-registry-notes §5
    argv.insert(argv.end(), {"--cgroup-manager", "cgroupfs", "--events-backend", "file"});
  }
  return argv;
}

bool driver_supported(const std::string& driver) {
  return driver == "raw_exec" || driver == "exec" || is_container(driver) || driver == "mock_driver";
}

TaskDirs task_dirs_for(const DriverInput& in) {
  if (is_container(in.driver)) {
    return {"/alloc", "/local", "/secrets"};
  }
  return {(in.alloc_root / "alloc").string(), (in.task_root / "local").string(),
          (in.task_root / "secrets").string()};
}

nbs::Result<DriverLaunch> build_launch(const DriverInput& in, const EnvMap& env) {
  if (is_container(in.driver)) {
    return podman_launch(in, env);
  }
  return exec_launch(in, env);
}

}  // namespace nbs::nomad_sim
