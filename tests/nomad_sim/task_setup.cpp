#include "tests/nomad_sim/task_setup.hpp"

#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/nomad_sim/template_renderer.hpp"
#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace fs = std::filesystem;

std::string TaskPlan::driver() const {
  return string_field(task, "Driver");
}

namespace {

void chown_tree(const fs::path& root, const ProcessUser& user) {
  std::error_code ec;
  ::chown(root.c_str(), user.uid, user.gid);
  for (const auto& entry : fs::recursive_directory_iterator(root, ec)) {
    ::lchown(entry.path().c_str(), user.uid, user.gid);
  }
}

// Host volumes of the group, resolved through --host-volume, for each VolumeMount of the task.
std::variant<std::vector<VolumeBinding>, SetupFailure> resolve_volumes(const TaskPlan& plan,
                                                                       const SimConfig& config) {
  std::vector<VolumeBinding> out;
  const json::array* mounts = array_field(plan.task, "VolumeMounts");
  if (mounts == nullptr) {
    return out;
  }
  const json::object* volumes = object_field(plan.group, "Volumes");
  for (const auto& m : *mounts) {
    const std::string name = string_field(m.as_object(), "Volume");
    const json::object* req = volumes != nullptr ? object_field(*volumes, name) : nullptr;
    if (req == nullptr) {
      return SetupFailure{SetupFailure::Kind::setup, "volume_mount references undefined volume " + name};
    }
    const auto host = config.host_volumes.find(string_field(*req, "Source"));
    if (host == config.host_volumes.end()) {
      return SetupFailure{SetupFailure::Kind::setup, "missing host volume " + string_field(*req, "Source")};
    }
    out.push_back({host->second, string_field(m.as_object(), "Destination"),
                   bool_field(m.as_object(), "ReadOnly") || bool_field(*req, "ReadOnly")});
  }
  return out;
}

// Parses "KEY=VALUE" lines of an env template into `env`.
void add_env_file(const std::string& text, EnvMap& env) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (!line.empty() && line.front() != '#' && eq != std::string::npos) {
      env[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
}

std::optional<SetupFailure> render_templates(const TaskPlan& plan, const SimConfig& config,
                                             const SimState& state, EnvMap& env) {
  const json::array* templates = array_field(plan.task, "Templates");
  if (templates == nullptr) {
    return std::nullopt;
  }
  const std::string ns = plan.job_key.first;
  for (const auto& tv : *templates) {
    const json::object& t = tv.as_object();
    std::string source = string_field(t, "EmbeddedTmpl");
    if (const std::string src = string_field(t, "SourcePath"); !src.empty()) {
      std::ifstream in(plan.task_root() / interpolate(src, env, plan.identity));
      std::ostringstream buf;
      buf << in.rdbuf();
      source = buf.str();
    }
    TemplateData data;
    data.env = &env;
    data.vault_secrets = &config.vault_secrets;
    data.nomad_var = [&state, &ns](const std::string& path) -> std::optional<json::object> {
      return state.read([&](const Tables& tables) -> std::optional<json::object> {
        const auto it = tables.vars.find({ns, path});
        return it == tables.vars.end() ? std::nullopt : std::optional<json::object>(it->second.items);
      });
    };
    data.left_delim = string_field(t, "LeftDelim", "{{");
    data.right_delim = string_field(t, "RightDelim", "}}");
    auto rendered = render_template(source, data);
    if (!rendered) {
      return SetupFailure{SetupFailure::Kind::setup, "Template failed: " + rendered.error().message};
    }
    const fs::path dest = plan.task_root() / interpolate(string_field(t, "DestPath"), env, plan.identity);
    std::error_code ec;
    fs::create_directories(dest.parent_path(), ec);
    std::ofstream(dest, std::ios::binary | std::ios::trunc) << *rendered;
    const std::string perms = string_field(t, "Perms", "0644");
    ::chmod(dest.c_str(), static_cast<mode_t>(std::stoul(perms.empty() ? "0644" : perms, nullptr, 8)));
    if (bool_field(t, "Envvars")) {
      add_env_file(*rendered, env);
    }
  }
  return std::nullopt;
}

}  // namespace

std::variant<DriverLaunch, SetupFailure> prepare_task(const TaskPlan& plan, const SimConfig& config,
                                                      const SimState& state) {
  std::error_code ec;
  for (const char* sub : {"local", "secrets", "tmp"}) {
    fs::create_directories(plan.task_root() / sub, ec);
  }
  if (const json::object* dp = object_field(plan.task, "DispatchPayload")) {
    if (const std::string file = string_field(*dp, "File"); !file.empty()) {
      std::ofstream(plan.task_root() / "local" / file, std::ios::binary | std::ios::trunc) << plan.payload;
    }
  }
  DriverInput in;
  in.driver = plan.driver();
  const json::object* cfg = object_field(plan.task, "Config");
  in.config = cfg != nullptr ? *cfg : json::object{};
  in.identity = &plan.identity;
  in.alloc_root = plan.alloc_root;
  in.task_root = plan.task_root();
  in.user = string_field(plan.task, "User");
  in.podman = config.podman;
  auto volumes = resolve_volumes(plan, config);
  if (auto* failure = std::get_if<SetupFailure>(&volumes)) {
    return *failure;
  }
  in.volumes = std::get<std::vector<VolumeBinding>>(volumes);
  EnvMap env = build_task_env(plan.identity, task_dirs_for(in), object_field(plan.task, "Env"));
  if (auto failure = render_templates(plan, config, state, env)) {
    return *failure;
  }
  const bool container = in.driver == "docker" || in.driver == "podman";
  if (!container) {
    // raw_exec cannot bind-mount: the volume appears as a link at its destination inside the task dir.
    for (const auto& v : in.volumes) {
      const fs::path link = plan.task_root() / fs::path(v.destination).relative_path();
      fs::create_directories(link.parent_path(), ec);
      fs::create_directory_symlink(v.host_path, link, ec);
    }
  }
  auto launch = build_launch(in, env);
  if (!launch) {
    return SetupFailure{SetupFailure::Kind::validation, launch.error().message};
  }
  if (!container && !in.user.empty() && ::geteuid() == 0) {
    auto user = lookup_user(in.user);
    if (!user) {
      return SetupFailure{SetupFailure::Kind::setup, "failed to look up user: " + user.error().message};
    }
    chown_tree(plan.task_root(), *user);
    for (const char* sub : {"data", "tmp"}) {
      chown_tree(plan.alloc_root / "alloc" / sub, *user);
    }
    launch->spec.user = *user;
  }
  return std::move(*launch);
}

}  // namespace nbs::nomad_sim
