#include "jobs/specs/spec_parts.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/build_secrets.hpp"
#include "common/secret_build_args.hpp"
#include "jobs/specs/phase_specs.hpp"

namespace nbs::jobs::specs::parts {
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// Delimiters for the spec template. Serialized JSON escapes every control character, so "\x01" can
// never come from the spec's own text: only the actions we add below are template actions.
constexpr std::string_view k_left = "\x01{{";
constexpr std::string_view k_right = "}}\x01";

std::string env_action(std::string_view variable) {
  return std::string(k_left) + " env \"" + std::string(variable) + "\" " + std::string(k_right);
}

// Appends members whose values are raw JSON text (holding template actions) to a serialized object.
std::string with_raw_members(std::string object_text,
                             const std::vector<std::pair<std::string, std::string>>& raw) {
  object_text.pop_back();  // the closing brace
  bool empty = object_text == "{";
  for (const auto& [key, value] : raw) {
    object_text += (empty ? "" : ",") + json::serialize(json::value(key)) + ":" + value;
    empty = false;
  }
  return object_text + "}";
}

std::string path_in(std::string_view dir_variable, std::string_view file) {
  return "\"" + env_action(dir_variable) + "/" + std::string(file) + "\"";
}

const std::string k_git_token = "git-token";
const std::string k_auth_json = "auth.json";
const std::string k_build_args = "build-args";

bool needs_git_token(const PhaseLaunch& launch) {
  return launch.id.phase == Phase::build && !launch.request.git_credentials_path.empty();
}

bool needs_registry_auth(const PhaseLaunch& launch) {
  return !launch.request.registry_credentials_path.empty();
}

bool needs_build_secrets(const PhaseLaunch& launch) {
  return launch.id.phase == Phase::build && !build_secret_entries(launch.request).empty();
}

// The key from Vault; unsupported() has refused a file: key_ref on Nomad.
std::optional<BuildSecretSource> signing_key_source(const PhaseLaunch& launch) {
  if (launch.id.phase != Phase::publish || !launch.request.sign) {
    return std::nullopt;
  }
  auto source = parse_build_secret_source(launch.request.sign->key_ref);
  return source && source->kind == BuildSecretSource::Kind::vault ? source : std::nullopt;
}

bool needs_build_args(const PhaseLaunch& launch) {
  return build_args_variable(launch).has_value();
}

// Every phase's spec shows what the job record shows in place of a secret build arg's value.
void mask_secret_build_args(json::object& spec, const JobRequest& request) {
  auto* req = spec.if_contains("request");
  auto* args = req != nullptr && req->is_object() ? req->as_object().if_contains("build_args") : nullptr;
  if (args == nullptr || !args->is_object()) {
    return;
  }
  for (const auto& name : request.secret_build_args) {
    if (auto* value = args->as_object().if_contains(name); value != nullptr) {
      *value = k_masked_value;
    }
  }
}

Result<std::string> spec_template_text(const PhaseLaunch& launch, const NomadSpecConfig& config) {
  boost::system::error_code ec;
  json::value spec = json::parse(launch.runner_spec_json, ec);
  if (ec || !spec.is_object()) {
    return make_error(ErrorKind::internal, "nomad spec: the runner spec is not a JSON object");
  }
  auto& o = spec.as_object();
  o.erase("result_path");
  o.erase("work_dir");
  o["cache_dir"] = config.cache_dir;
  mask_secret_build_args(o, launch.request);
  json::object credentials;
  if (auto* c = o.if_contains("credentials"); c != nullptr && c->is_object()) {
    credentials = c->as_object();
  }
  o.erase("credentials");
  credentials.erase("git_token_file");
  credentials.erase("registry_auth_file");
  credentials.erase("build_args_file");
  credentials.erase("build_secrets_dir");
  credentials.erase("signing_key_file");
  std::vector<std::pair<std::string, std::string>> files;
  if (needs_git_token(launch)) {
    files.emplace_back("git_token_file", path_in("NOMAD_SECRETS_DIR", k_git_token));
  }
  if (needs_registry_auth(launch)) {
    files.emplace_back("registry_auth_file", path_in("NOMAD_SECRETS_DIR", k_auth_json));
  }
  if (needs_build_args(launch)) {
    files.emplace_back("build_args_file", path_in("NOMAD_SECRETS_DIR", k_build_args));
  }
  if (needs_build_secrets(launch)) {
    files.emplace_back("build_secrets_dir", "\"" + env_action("NOMAD_SECRETS_DIR") + "\"");
  }
  if (signing_key_source(launch)) {
    files.emplace_back("signing_key_file", path_in("NOMAD_SECRETS_DIR", k_signing_key_file));
  }
  return with_raw_members(json::serialize(o),
                          {{"credentials", with_raw_members(json::serialize(credentials), files)},
                           {"result_path", path_in("NOMAD_ALLOC_DIR", "result.json")},
                           {"work_dir", path_in("NOMAD_TASK_DIR", "work")}});
}

std::string git_token_body() {
  return "{{ if .Data.data.token }}{{ .Data.data.token }}{{ else }}{{ .Data.data.password }}{{ end }}";
}

// A containers auth.json for the registry of the request, and for a build also for the host of its layer
// cache when that is another one (the daemon's build_cache_repository, which the daemon put into the
// request): Buildah pushes the cache with the image's credentials.
std::string auth_json_body(const JobRequest& request, Phase phase) {
  const std::string entry =
      R"({"auth":"{{ printf "%s:%s" .Data.data.username .Data.data.password | base64Encode }}"})";
  const std::string registry = image_target(request).registry;
  std::string body = R"({"auths":{")" + registry + R"(":)" + entry;
  const std::string cache = phase == Phase::build ? cache_repository(request, "") : std::string();
  const std::string cache_host = cache.substr(0, cache.find('/'));
  if (!cache.empty() && cache_host != registry) {
    body += R"(,")" + cache_host + R"(":)" + entry;
  }
  return body + "}}";
}

json::object runner_config(const PhaseLaunch& launch, const NomadSpecConfig& config) {
  json::array args{to_string(launch.id.phase), "--spec", "${NOMAD_TASK_DIR}/spec.json", "--log-format",
                   "json"};
  json::object c{{"command", config.runner_path}, {"args", std::move(args)}};
  if (config.runner_driver == RunnerDriver::docker || config.runner_driver == RunnerDriver::podman) {
    c["image"] = config.runner_image;
  }
  return c;
}

}  // namespace

nomad::Job job_frame(const PhaseLaunch& launch, const NomadSpecConfig& config) {
  nomad::Job job;
  job.id = nomad_job_id(launch.id);
  job.type = "batch";
  job.namespace_name = config.namespace_name;
  job.region = config.region;
  job.datacenters = config.datacenters;
  job.node_pool = config.node_pool;
  job.priority = config.priority;
  job.meta = {{"nbs-job-id", launch.id.job_id},
              {"nbs-phase", std::string(to_string(launch.id.phase))},
              {"nbs-owner", launch.request.owner},
              {"nbs-attempt", std::to_string(launch.id.attempt)}};
  return job;
}

nomad::TaskGroup group(const std::string& name, const ResolvedResources& resources) {
  nomad::TaskGroup g;
  g.name = name;
  g.count = 1;
  // Attempts 0 with mode fail: a failed task fails the allocation at once. Nomad still validates
  // Interval (at least 5 s) and Delay, so they carry its batch values.
  g.restart_policy = nomad::RestartPolicy{.attempts = 0, .interval = 24h, .delay = 15s, .mode = "fail"};
  g.reschedule_policy = nomad::ReschedulePolicy{.attempts = 0,
                                                .interval = 0s,
                                                .delay = 5s,
                                                .delay_function = "constant",
                                                .max_delay = 0s,
                                                .unlimited = false};
  g.ephemeral_disk = nomad::EphemeralDisk{.size_mb = resources.disk, .sticky = false, .migrate = false};
  return g;
}

ResolvedResources phase_resources(const JobRequest& request, Phase phase, const NomadSpecConfig& config) {
  auto it = config.default_resources.find(phase);
  return resolve_resources(request, phase,
                           it != config.default_resources.end() ? it->second : default_resources(phase));
}

void apply_task_defaults(nomad::Task& task, const ResolvedResources& resources,
                         const NomadSpecConfig& config) {
  task.resources.cpu = resources.cpu;
  task.resources.memory_mb = resources.memory;
  task.kill_timeout = std::chrono::duration_cast<nomad::Nanoseconds>(config.kill_timeout);
  task.kill_signal = config.kill_signal;
  task.log_config = nomad::LogConfig{config.log_max_files, config.log_max_file_size_mb};
}

void add_vault(nomad::Task& task, const NomadSpecConfig& config) {
  task.vault = nomad::Vault{.role = config.vault_role,
                            .cluster = config.vault_cluster,
                            .change_mode = "noop",
                            .env = false,
                            .disable_file = true};
  if (!config.vault_audience.empty()) {
    const std::string name =
        "vault_" + (config.vault_cluster.empty() ? std::string("default") : config.vault_cluster);
    task.identities.push_back(nomad::WorkloadIdentity{
        .name = name,
        .audience = config.vault_audience,
        .ttl = std::chrono::duration_cast<nomad::Nanoseconds>(config.vault_identity_ttl),
        .change_mode = "noop"});
  }
}

nomad::Template secret_template(const std::string& path, const std::string& body, const std::string& dest,
                                bool envvars) {
  nomad::Template t;
  t.embedded_tmpl = "{{ with secret \"" + path + "\" }}" + body + "{{ end }}";
  t.dest_path = dest;
  t.change_mode = "noop";  // a rotated secret must not restart a build half way
  t.perms = "0400";
  t.envvars = envvars;
  t.err_missing_key = true;
  return t;
}

Result<nomad::Task> runner_task(const PhaseLaunch& launch, const NomadSpecConfig& config, bool with_cache) {
  auto spec = spec_template_text(launch, config);
  if (!spec) {
    return spec.error();
  }
  nomad::Task task;
  task.name = "runner";
  task.driver = std::string(to_string(config.runner_driver));
  task.user = config.build_user;
  task.config = runner_config(launch, config);
  nomad::Template spec_file;
  spec_file.embedded_tmpl = std::move(*spec);
  spec_file.dest_path = "local/spec.json";
  spec_file.change_mode = "noop";
  spec_file.perms = "0600";
  spec_file.left_delim = std::string(k_left);
  spec_file.right_delim = std::string(k_right);
  task.templates.push_back(std::move(spec_file));
  if (needs_git_token(launch)) {
    task.templates.push_back(secret_template(launch.request.git_credentials_path, git_token_body(),
                                             "secrets/" + k_git_token, false));
  }
  if (needs_registry_auth(launch)) {
    task.templates.push_back(secret_template(launch.request.registry_credentials_path,
                                             auth_json_body(launch.request, launch.id.phase),
                                             "secrets/" + k_auth_json, false));
  }
  if (needs_build_secrets(launch)) {
    // Unsupported() has refused every other kind of source for Nomad.
    for (const auto& entry : build_secret_entries(launch.request)) {
      if (const auto source = parse_build_secret_source(entry.secret->source);
          source && source->kind == BuildSecretSource::Kind::vault) {
        task.templates.push_back(secret_template(source->path,
                                                 "{{ index .Data.data \"" + source->field + "\" }}",
                                                 "secrets/" + entry.file_name(), false));
      }
    }
  }
  if (const auto key = signing_key_source(launch)) {
    task.templates.push_back(secret_template(key->path, "{{ index .Data.data \"" + key->field + "\" }}",
                                             "secrets/" + std::string(k_signing_key_file), false));
  }
  if (task.templates.size() > 1) {
    add_vault(task, config);
  }
  if (auto path = build_args_variable(launch)) {
    nomad::Template t;
    t.embedded_tmpl =
        "{{ with nomadVar \"" + *path + "\" }}{{ ." + std::string(k_build_args_item) + " }}{{ end }}";
    t.dest_path = "secrets/" + k_build_args;
    t.change_mode = "noop";
    t.perms = "0400";
    t.err_missing_key = true;
    task.templates.push_back(std::move(t));
  }
  // raw_exec cannot mount volumes; its cache_dir is the host path of the volume itself.
  if (with_cache && config.runner_driver != RunnerDriver::raw_exec) {
    task.volume_mounts.push_back(nomad::VolumeMount{.volume = "cache", .destination = config.cache_dir});
  }
  return task;
}

void add_cache_volume(nomad::TaskGroup& group, const NomadSpecConfig& config) {
  // Also for raw_exec: the request makes Nomad place the job only on nodes that have the volume.
  group.volumes["cache"] =
      nomad::VolumeRequest{.name = "cache", .type = "host", .source = config.cache_volume};
}

}  // namespace nbs::jobs::specs::parts
