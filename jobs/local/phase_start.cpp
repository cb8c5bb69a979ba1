// LocalExecutor: starting a phase (its directory, spec or test environment, and launch.json, which
// makes it exist), what the local executor refuses, and finding the phases again after a restart.
#include <cerrno>
#include <cstring>
#include <sstream>

#include <boost/json.hpp>

#include "common/build_secrets.hpp"
#include "jobs/local/phase_files.hpp"
#include "jobs/local/phase_run.hpp"
#include "jobs/local/test_container.hpp"

namespace nbs::jobs {

namespace fs = std::filesystem;
namespace json = boost::json;

// Rebuilds the in-memory view from the state directory after a (re)start.
void LocalExecutor::recover() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config_.state_dir / "phases", ec)) {
    auto launch_text = read_file(entry.path() / "launch.json");
    if (!launch_text) {
      continue;  // a start that crashed before it was recorded: the orchestrator starts it again
    }
    boost::system::error_code jec;
    json::value launch = json::parse(*launch_text, jec);
    if (jec || !launch.is_object()) {
      continue;
    }
    auto phase = std::make_unique<PhaseRun>();
    phase->dir = entry.path();
    phase->id.job_id = json::value_to<std::string>(launch.at("job_id"));
    phase->id.phase = parse_phase(json::value_to<std::string>(launch.at("phase"))).value_or(Phase::build);
    if (const auto* attempt = launch.as_object().if_contains("attempt"); attempt && attempt->is_int64()) {
      phase->id.attempt = static_cast<int>(attempt->get_int64());
    }
    if (const auto* started = launch.as_object().if_contains("started_at"); started && started->is_string()) {
      phase->started_at = parse_utc(started->get_string());
    }
    if (const auto* image = launch.as_object().if_contains("image"); image && image->is_string()) {
      phase->test_image = std::string(image->get_string());
    }
    for (const auto& t : launch.at("tasks").as_array()) {
      Task task;
      task.name = json::value_to<std::string>(t.at("name"));
      task.argv = to_strings(t.at("argv"));
      if (const json::value* reports = t.as_object().if_contains("reports")) {
        task.reports = to_strings(*reports);
        task.container = json::value_to<std::string>(t.at("container"));
      }
      task.dir = phase->dir / "tasks" / task.name;
      task.stop_requested = fs::exists(task.dir / "stop");
      if (auto pids = read_file(task.dir / "pids")) {
        std::istringstream in(*pids);
        in >> task.supervisor >> task.pid;
        task.state = PhaseState::running;  // poll_tasks() settles it from the exit file or liveness
      } else if (auto env = read_file(task.dir / "process-env")) {
        boost::system::error_code env_ec;
        task.process_env = to_strings(json::parse(*env, env_ec));
      }
      phase->tasks.push_back(std::move(task));
    }
    phases_[phase->id.name()] = std::move(phase);
  }
  poll_tasks(nullptr);  // pending tasks start on the monitor's first round
}

Status LocalExecutor::start(const PhaseLaunch& launch) {
  std::lock_guard lock(mutex_);
  const std::string name = launch.id.name();
  if (phases_.count(name)) {
    return {};
  }
  if (auto refused = unsupported(launch.request); !refused.empty()) {
    return make_field_errors(std::move(refused));
  }
  auto phase = std::make_unique<PhaseRun>();
  phase->id = launch.id;
  phase->sequence = generation_;
  phase->dir = phase_dir(launch.id);
  const fs::path work = phase->dir / "work";
  // The runner writes its result and work tree as the build user; nobody else reads the phase's files.
  if (!make_private_dir(phase->dir, user_) || !make_private_dir(work, user_)) {
    return make_error(ErrorKind::unavailable,
                      "local executor: cannot create " + work.string() + ": " + std::strerror(errno));
  }

  if (launch.id.phase == Phase::test) {
    if (!launch.request.test) {
      return make_error(ErrorKind::invalid_argument, "local executor: a test phase needs test commands");
    }
    phase->test_image = launch.test_image;
    auto add = [&](const std::string& task_name, const std::optional<std::string>& command) {
      const fs::path task_dir = phase->dir / "tasks" / task_name;
      TestContainer container =
          test_container(TestContainerSpec{.podman = podman_,
                                           .podman_args = config_.podman_args,
                                           .phase = launch.id,
                                           .task = task_name,
                                           .state_dir = config_.state_dir.string(),
                                           .image = launch.test_image,
                                           .command = command,
                                           .env = launch.request.test->env,
                                           .env_file = task_dir / "env",
                                           .keep = !launch.request.test->reports.empty()});
      Task task{.name = task_name, .argv = std::move(container.argv)};
      if (!launch.request.test->reports.empty()) {
        task.reports = launch.request.test->reports;
        task.container = container.name;
      }
      task.process_env = std::move(container.process_env);
      if (!container.env_file.empty() && (!make_private_dir(task_dir, user_) ||
                                          !write_private_file(task_dir / "env", container.env_file, user_))) {
        return false;
      }
      if (!task.process_env.empty() &&
          !write_private_file(
              task_dir / "process-env",
              json::serialize(json::array(task.process_env.begin(), task.process_env.end())))) {
        return false;
      }
      phase->tasks.push_back(std::move(task));
      return true;
    };
    const auto& commands = launch.request.test->commands;
    bool written = true;
    for (std::size_t i = 0; i < commands.size(); ++i) {
      written = written && add("cmd-" + std::to_string(i), commands[i]);
    }
    if (launch.request.test->entry_point) {
      written = written && add("entry-point", std::nullopt);
    }
    if (!written) {
      return make_error(ErrorKind::unavailable,
                        "local executor: cannot write the test environment under " + phase->dir.string());
    }
  } else {
    // The runner finds its result path and work directory in the spec.
    boost::system::error_code jec;
    json::value spec = json::parse(launch.runner_spec_json, jec);
    if (jec || !spec.is_object()) {
      return make_error(ErrorKind::internal, "local executor: the runner spec is not a JSON object");
    }
    spec.as_object()["result_path"] = (phase->dir / "result.json").string();
    spec.as_object()["work_dir"] = work.string();
    auto set_credential = [&spec](const char* key, const std::string& value) {
      json::value& credentials = spec.as_object()["credentials"];
      if (!credentials.is_object()) {
        credentials = json::object{};
      }
      credentials.as_object()[key] = value;
    };
    if (launch.id.phase == Phase::build && has_build_secrets(launch.request)) {
      const fs::path secrets = phase->dir / k_build_secrets_dir;
      if (auto copied = copy_build_secrets(launch.request, config_.build_secrets_dir, secrets, user_);
          !copied) {
        std::error_code ec;
        fs::remove_all(phase->dir, ec);  // neither half a phase nor a copy of a secret stays
        return copied.error();
      }
      set_credential("build_secrets_dir", secrets.string());
    }
    if (launch.id.phase == Phase::publish && launch.request.sign) {
      auto key = copy_signing_key(launch.request, config_.build_secrets_dir, phase->dir / k_build_secrets_dir,
                                  user_);
      if (!key) {
        std::error_code ec;
        fs::remove_all(phase->dir, ec);  // neither half a phase nor a copy of the key stays
        return key.error();
      }
      set_credential("signing_key_file", key->string());
    }
    if (!write_private_file(phase->dir / "spec.json", json::serialize(spec), user_)) {
      return make_error(ErrorKind::unavailable,
                        "local executor: cannot write " + (phase->dir / "spec.json").string());
    }
    phase->tasks.push_back(
        Task{.name = "runner",
             .argv = {config_.runner_path.string(), std::string(to_string(launch.id.phase)), "--spec",
                      (phase->dir / "spec.json").string(), "--log-format", "json"}});
  }

  json::array tasks;
  for (auto& task : phase->tasks) {
    task.dir = phase->dir / "tasks" / task.name;
    std::error_code ec;
    fs::create_directories(task.dir, ec);
    json::object entry{{"name", task.name}, {"argv", json::array(task.argv.begin(), task.argv.end())}};
    if (!task.reports.empty()) {
      entry["reports"] = json::array(task.reports.begin(), task.reports.end());
      entry["container"] = task.container;
    }
    tasks.push_back(std::move(entry));
  }
  phase->started_at = now_utc();
  json::object record{{"job_id", launch.id.job_id},
                      {"phase", to_string(launch.id.phase)},
                      {"attempt", launch.id.attempt},
                      {"started_at", format_utc(*phase->started_at)},
                      {"tasks", std::move(tasks)}};
  if (!phase->test_image.empty()) {
    record["image"] = phase->test_image;
  }
  // launch.json makes the phase exist; written last, so a crash before it leaves nothing half-started.
  if (!write_private_file(phase->dir / "launch.json", json::serialize(record))) {
    return make_error(ErrorKind::unavailable,
                      "local executor: cannot record the launch in " + phase->dir.string());
  }
  phases_[name] = std::move(phase);
  note_change(launch.id.job_id);
  return {};
}

std::vector<FieldError> LocalExecutor::unsupported(const JobRequest& request) const {
  std::vector<FieldError> out;
  auto refuse = [&](std::string path, std::string reason) {
    out.push_back({std::move(path), std::move(reason)});
  };
  for (const auto& entry : build_secret_entries(request)) {
    const std::string path = entry.field + ".source";
    const auto source = parse_build_secret_source(entry.secret->source);
    if (!source) {
      continue;  // the parser has named it
    }
    if (source->kind == BuildSecretSource::Kind::vault) {
      refuse(path,
             "is a Vault path, and the local executor has no Vault: use file:<name>, a file of the "
             "daemon's build_secrets_dir");
    } else if (config_.build_secrets_dir.empty()) {
      refuse(path,
             "names a file of the daemon's build secrets directory, and this daemon has none "
             "(build_secrets_dir)");
    } else if (!fs::is_regular_file(config_.build_secrets_dir / source->name)) {
      refuse(path, "names no file of the daemon's build secrets directory ('" + source->name + "')");
    }
  }
  if (request.sign) {
    const auto source = parse_build_secret_source(request.sign->key_ref);
    if (!source) {
      // the parser has named it
    } else if (source->kind == BuildSecretSource::Kind::vault) {
      refuse("sign.key_ref",
             "is a Vault path, and the local executor has no Vault: use file:<name>, a file of the daemon's "
             "build_secrets_dir");
    } else if (config_.build_secrets_dir.empty()) {
      refuse("sign.key_ref",
             "names a file of the daemon's build secrets directory, and this daemon has none "
             "(build_secrets_dir)");
    } else if (!fs::is_regular_file(config_.build_secrets_dir / source->name)) {
      refuse("sign.key_ref",
             "names no file of the daemon's build secrets directory ('" + source->name + "')");
    }
  }
  if (!request.git_credentials_path.empty()) {
    refuse(
        "git_credentials_path",
        "is a Vault path, and the local executor has no Vault: build from a repository it can fetch without "
        "credentials, or use the Nomad executor");
  }
  if (!request.registry_credentials_path.empty()) {
    refuse("registry_credentials_path",
           "is a Vault path, and the local executor has no Vault: it pushes with the daemon's registry auth "
           "file (registry_auth_file); leave this field out");
  }
  if (request.test) {
    if (!request.test->vault_secrets.empty()) {
      refuse(
          "test.vault_secrets",
          "needs Vault, and the local executor has none: pass values in test.env, or use the Nomad executor");
    }
    if (request.test->gpu_count > 0) {
      refuse("test.gpu_count", "the local executor has no GPUs to give to tests; leave it out or use Nomad");
    }
    if (!request.test->constraints.empty()) {
      refuse("test.constraints", "are Nomad placement constraints; the local executor runs on one machine");
    }
    for (const auto& [name, value] : request.test->env) {
      if (value.find_first_of("\r\n") != std::string::npos && reserved_for_podman(name)) {
        refuse("test.env." + name,
               "a multi-line value cannot be given to this variable on the local executor (podman itself "
               "runs with it); use a single line or another name");
      }
    }
  }
  return out;
}

}  // namespace nbs::jobs
