#include "mcpd/build_service.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

extern char** environ;  // NOMAD_* variables for the Nomad client

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/process.hpp"
#include "common/user_access.hpp"
#include "jobs/local/file_record_store.hpp"
#include "jobs/local/local_executor.hpp"
#include "jobs/nomad_executor/nomad_executor.hpp"
#include "jobs/nomad_executor/variables_record_store.hpp"
#include "mcpd/job_metrics.hpp"
#include "mcpd/submit_policy.hpp"
#include "mcpd/tools/job_tools.hpp"
#include "mcpd/webhooks/webhook_metrics.hpp"

namespace nbs::mcpd {

namespace fs = std::filesystem;

namespace {

std::string home_dir() {
  const char* home = std::getenv("HOME");
  return home != nullptr && *home != '\0' ? home : "/";
}

// nbs-runner and nbs-task-supervisor are installed beside nbs-mcpd (the build tree and the .deb both put
// them there).
fs::path beside_daemon(const std::string& program) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path(program) : self.parent_path() / program;
}

Error config_error(const std::string& key, const std::string& reason) {
  return make_error(ErrorKind::invalid_argument, key + ": " + reason);
}

StorageDriver storage_driver(const std::string& name) {  // the config loader admits only these two
  return name == "vfs" ? StorageDriver::vfs : StorageDriver::overlay;
}

// The cache belongs to the build user: Buildah's graph root and the Git mirrors are written by tasks
// running as that user.
Status prepare_cache_dir(const fs::path& dir, const std::optional<UserIdentity>& user) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return config_error("cache_dir", "cannot create " + dir.string() + ": " + ec.message());
  }
  if (user && ::chown(dir.c_str(), user->uid, user->gid) != 0) {
    return config_error("cache_dir",
                        "cannot give " + dir.string() + " to the build user: " + std::strerror(errno));
  }
  return {};
}

}  // namespace

std::string default_state_dir() {
  if (::geteuid() == 0) {
    return "/var/lib/nbs";
  }
  const char* state = std::getenv("XDG_STATE_HOME");
  return (state != nullptr && *state != '\0' ? fs::path(state) : fs::path(home_dir()) / ".local" / "state") /
         "nbs";
}

namespace {

// Where jobs run and where their records live, with what the runner needs to know about it.
struct Backend {
  std::unique_ptr<jobs::RecordStore> store;
  std::unique_ptr<jobs::Executor> executor;
  std::string cache_dir;               // as the runner sees it
  std::vector<fs::path> private_dirs;  // on this machine, never a repository to build (state, cache)
  std::string summary;                 // for the start-up log line
};

// Every path a local task uses, checked as the user the task runs as, so that a daemon that cannot work
// refuses to start with the path and the fix instead of failing every job.
Status check_local_paths(const Config& config, const fs::path& state_dir, const fs::path& cache_dir,
                         const fs::path& runner, const std::optional<UserIdentity>& user) {
  const std::string task_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  auto on_path = [&](const std::string& program) -> std::optional<fs::path> {
    std::string_view rest = task_path;
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const fs::path candidate = fs::path(rest.substr(0, colon)) / program;
      if (::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    }
    return std::nullopt;
  };
  for (const char* program : {"buildah", "podman"}) {
    if (!on_path(program)) {
      return config_error("local executor",
                          std::string(program) + " is not installed (looked in " + task_path +
                              "); install it (scripts/install-deps) or use the Nomad executor");
    }
  }
  struct Need {
    std::string key;
    fs::path path;
    Access access;
  };
  std::vector<Need> needs{{"state_dir", state_dir / "phases", Access::execute},
                          {"cache_dir", cache_dir, Access::read_write},
                          {"runner_path", runner, Access::execute}};
  if (!config.registries_conf.empty()) {
    needs.push_back({"registries_conf", config.registries_conf, Access::read});
  }
  if (!config.registry_auth_file.empty()) {
    needs.push_back({"registry_auth_file", config.registry_auth_file, Access::read});
  }
  if (!config.signature_store.empty()) {
    needs.push_back({"signature_store", config.signature_store, Access::read_write});
  }
  for (const auto& need : needs) {
    if (auto ok = check_access(need.path, need.access, user); !ok) {
      return config_error(need.key, ok.error().message);
    }
  }
  return {};
}

Result<Backend> open_local(const Config& config) {
  // Absolute paths: tasks run in their own working directories, and a restarted daemon may start elsewhere.
  const fs::path state_dir =
      fs::absolute(config.state_dir.empty() ? fs::path(default_state_dir()) : fs::path(config.state_dir));
  const fs::path cache_dir = config.cache_dir.empty() ? state_dir / "cache" : fs::absolute(config.cache_dir);
  const fs::path runner =
      fs::absolute(config.runner_path.empty() ? beside_daemon("nbs-runner") : fs::path(config.runner_path));
  if (::access(runner.c_str(), X_OK) != 0) {
    return config_error("runner_path", runner.string() + " is not an executable file");
  }
  const fs::path supervisor =
      fs::absolute(config.task_supervisor_path.empty() ? beside_daemon("nbs-task-supervisor")
                                                       : fs::path(config.task_supervisor_path));
  if (::access(supervisor.c_str(), X_OK) != 0) {
    return config_error("task_supervisor_path", supervisor.string() + " is not an executable file");
  }
  std::optional<UserIdentity> build_user;
  const bool as_build_user = ::geteuid() == 0 && !config.build_user.empty();
  if (as_build_user) {
    auto user = lookup_user(config.build_user);
    if (!user) {
      return config_error("build_user", user.error().message + " (create it with scripts/setup-build-user)");
    }
    build_user = *user;
  }
  if (auto prepared = prepare_cache_dir(cache_dir, build_user); !prepared) {
    return prepared.error();
  }
  std::error_code ec;
  fs::create_directories(state_dir / "phases", ec);
  if (ec) {
    return config_error("state_dir",
                        "cannot create " + (state_dir / "phases").string() + ": " + ec.message());
  }
  if (auto usable = check_local_paths(config, state_dir, cache_dir, runner, build_user); !usable) {
    return usable.error();
  }
  Backend backend;
  auto store = jobs::FileRecordStore::open(state_dir / "records");
  if (!store) {
    return config_error("state_dir", store.error().message);
  }
  backend.store = std::move(*store);

  jobs::LocalExecutorConfig local;
  local.state_dir = state_dir;
  local.runner_path = runner;
  local.supervisor_path = supervisor;
  local.build_user = as_build_user ? config.build_user : "";
  // runc and the host network: what works for rootless podman on these nodes (crun fails on hybrid
  // cgroups, slirp4netns needs /dev/net/tun).
  local.podman_args = {"--runtime", "runc", "--network", "host"};
  // The test images in a storage of this daemon's: another daemon's image prune cannot reach them.
  local.podman_storage = cache_dir / "test-containers";
  local.storage_driver = storage_driver(config.storage_driver);
  if (!config.registries_conf.empty()) {
    local.task_env.push_back("CONTAINERS_REGISTRIES_CONF=" + config.registries_conf);
  }
  if (!config.registry_auth_file.empty()) {
    local.task_env.push_back("REGISTRY_AUTH_FILE=" + config.registry_auth_file);
  }
  local.task_nice = static_cast<int>(config.task_nice);
  if (config.max_running_tasks > 0) {
    local.max_running_tasks = static_cast<unsigned>(config.max_running_tasks);
  }
  if (!config.build_secrets_dir.empty()) {
    local.build_secrets_dir = fs::absolute(config.build_secrets_dir);
    if (!fs::is_directory(local.build_secrets_dir)) {
      return config_error("build_secrets_dir", local.build_secrets_dir.string() + " is not a directory");
    }
  }
  auto executor = jobs::LocalExecutor::create(std::move(local));
  if (!executor) {
    return config_error("state_dir", executor.error().message);
  }
  backend.executor = std::move(*executor);
  backend.cache_dir = cache_dir.string();
  backend.private_dirs = {state_dir, cache_dir};
  backend.summary = "local executor, state in " + state_dir.string() + ", cache in " + cache_dir.string() +
                    ", runner " + runner.string();
  return backend;
}

// What the Nomad client reads: the NOMAD_* variables the nomad CLI reads (NOMAD_TOKEN, NOMAD_HTTP_AUTH,
// NOMAD_SKIP_VERIFY, …), overridden by the configuration's nomad_* keys (which fall back to the same
// variables themselves).
Result<jobs::nomad::EnvMap> nomad_env(const Config& config) {
  jobs::nomad::EnvMap env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (entry.starts_with("NOMAD_") && eq != std::string_view::npos) {
      env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
  }
  env["NOMAD_ADDR"] = config.nomad_addr;
  const std::pair<const std::string*, const char*> settings[] = {
      {&config.nomad_namespace, "NOMAD_NAMESPACE"},   {&config.nomad_region, "NOMAD_REGION"},
      {&config.nomad_ca_cert, "NOMAD_CACERT"},        {&config.nomad_client_cert, "NOMAD_CLIENT_CERT"},
      {&config.nomad_client_key, "NOMAD_CLIENT_KEY"},
  };
  for (const auto& [value, name] : settings) {
    if (!value->empty()) {
      env[name] = *value;
    }
  }
  for (const char* file : {"NOMAD_CACERT", "NOMAD_CLIENT_CERT", "NOMAD_CLIENT_KEY"}) {
    if (auto it = env.find(file); it != env.end() && !it->second.empty()) {
      if (auto readable = check_access(it->second, Access::read); !readable) {
        return config_error(file, readable.error().message);
      }
    }
  }
  if (!config.nomad_token_file.empty()) {
    std::ifstream in(config.nomad_token_file);
    std::string token;
    if (!(in >> token)) {
      return config_error("nomad_token_file", "cannot read a token from " + config.nomad_token_file);
    }
    env["NOMAD_TOKEN"] = token;
  }
  return env;
}

Result<Backend> open_nomad(const Config& config) {
  if (!config.build_secrets_dir.empty()) {
    return config_error(
        "build_secrets_dir",
        "is the local executor's; on Nomad, build secrets come from Vault (vault:<path>#<field>)");
  }
  jobs::specs::NomadSpecConfig specs;
  specs.datacenters = config.nomad_datacenters;
  specs.node_pool = config.nomad_node_pool;
  specs.runner_driver = config.nomad_runner_driver == "raw_exec" ? jobs::specs::RunnerDriver::raw_exec
                        : config.nomad_runner_driver == "docker" ? jobs::specs::RunnerDriver::docker
                        : config.nomad_runner_driver == "podman" ? jobs::specs::RunnerDriver::podman
                                                                 : jobs::specs::RunnerDriver::exec;
  specs.runner_path = config.nomad_runner_path;
  specs.runner_image = config.nomad_runner_image;
  specs.build_user = config.build_user;
  specs.test_driver = config.nomad_test_driver == "podman" ? jobs::specs::ContainerDriver::podman
                                                           : jobs::specs::ContainerDriver::docker;
  specs.cache_volume = config.nomad_cache_volume;
  if (!config.cache_dir.empty()) {
    specs.cache_dir = config.cache_dir;
  }
  specs.kill_timeout = std::chrono::duration_cast<std::chrono::seconds>(config.stop_grace);

  auto env = nomad_env(config);
  if (!env) {
    return env.error();
  }
  Backend backend;
  backend.cache_dir = specs.cache_dir;
  auto store = jobs::VariablesRecordStore::from_env(*env);
  if (!store) {
    return store.error();
  }
  backend.store = std::move(*store);
  auto executor = jobs::NomadExecutor::from_env(*env, std::move(specs));
  if (!executor) {
    return executor.error();
  }
  backend.executor = std::move(*executor);
  backend.summary = "Nomad executor at " + config.nomad_addr + ", records in Variables under nomad-build/";
  return backend;
}

}  // namespace

Result<std::unique_ptr<BuildService>> BuildService::create(const Config& config, MetricsRegistry& metrics) {
  // The runner gets it as is, on this machine or on a Nomad client: relative would mean its own cwd.
  if (!config.signature_store.empty() && !fs::path(config.signature_store).is_absolute()) {
    return config_error("signature_store", "must be an absolute path");
  }
  auto backend = config.nomad_addr.empty() ? open_local(config) : open_nomad(config);
  if (!backend) {
    return backend.error();
  }
  WebhookSenderOptions webhook_options;
  webhook_options.private_targets =
      config.webhook_allow_private ? PrivateTargets::allow : PrivateTargets::refuse;
  webhook_options.on_report = webhook_metrics_reporter(metrics);
  auto webhooks = WebhookSender::create(std::move(webhook_options));
  if (!webhooks) {
    return webhooks.error();
  }

  std::unique_ptr<BuildService> service(new BuildService());
  service->store_ = std::move(backend->store);
  service->executor_ = std::move(backend->executor);
  service->webhooks_ = std::move(*webhooks);

  OrchestratorConfig orchestration;
  orchestration.reconcile.placement_timeout =
      std::chrono::duration_cast<std::chrono::seconds>(config.placement_timeout);
  orchestration.stop_grace = std::chrono::duration_cast<std::chrono::seconds>(config.stop_grace);
  orchestration.cache_dir = backend->cache_dir;
  orchestration.storage_driver = storage_driver(config.storage_driver);
  orchestration.build_user = config.build_user;
  orchestration.registries_conf = config.registries_conf;
  orchestration.registry_auth_file = config.registry_auth_file;
  orchestration.build_cache_repository = config.build_cache_repository;
  orchestration.signature_store = config.signature_store;
  orchestration.history_limit = config.history_limit;
  orchestration.history_resync = config.replica_resync;
  SubmitPolicy policy{
      .webhook_targets = config.webhook_allow_private ? PrivateTargets::allow : PrivateTargets::refuse,
      .private_dirs = backend->private_dirs,
      .build_cache_repository = config.build_cache_repository,
      .signature_store = config.signature_store};
  for (const auto& dir : config.allow_file_repos) {
    policy.file_repo_roots.push_back(fs::absolute(dir));
  }
  orchestration.admit = [policy = std::move(policy)](const JobRequest& request,
                                                     const std::string& principal) {
    return check_submit(request, principal, policy);
  };
  service->orchestrator_ =
      std::make_unique<Orchestrator>(*service->executor_, *service->store_, std::move(orchestration),
                                     [&metrics, webhooks = service->webhooks_.get()](const JobEvent& event) {
                                       record_job_event(metrics, event);
                                       webhooks->enqueue(event);
                                     });
  service->orchestrator_->start();
  spdlog::info("build service: {}", backend->summary);
  return service;
}

BuildService::~BuildService() {
  if (executor_) {
    executor_->interrupt_waits();
  }
}

namespace {
boost::asio::awaitable<Status> executor_ready(Orchestrator* orchestrator) {
  co_return orchestrator->ready();
}
}  // namespace

Status BuildService::attach(DaemonParts& parts) {
  if (auto registered = register_job_tools(parts.tools, *orchestrator_); !registered) {
    return registered;
  }
  parts.readiness = [orchestrator = orchestrator_.get()] { return executor_ready(orchestrator); };
  parts.server_info.instructions =
      "Builds Git refs into container images. Call submitJob, then getStatus with wait_seconds=30 until the "
      "status "
      "is final; on FAILED read excerpt or getLogs, fix, and submit again.";
  return {};
}

DaemonSetup build_service_setup(std::unique_ptr<BuildService>& service) {
  return [&service](const Config& config, boost::asio::io_context&, MetricsRegistry& metrics,
                    DaemonParts& parts) -> Status {
    auto created = BuildService::create(config, metrics);
    if (!created) {
      return created.error();
    }
    service = std::move(*created);
    // The service's threads use the daemon's metrics registry: they stop before it is destroyed.
    parts.on_stopped = [&service] { service.reset(); };
    return service->attach(parts);
  };
}

}  // namespace nbs::mcpd
