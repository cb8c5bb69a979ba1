// The test phase: one group per test (each command as `/bin/sh -c <command>` with the image's ENTRYPOINT
// overridden, the entry point test with the image's own ENTRYPOINT and CMD), the temporary image run by the
// docker or podman driver, pulled with the registry credentials, with the request's env, Vault secrets,
// constraints and GPUs, and a soft preference for nodes other than the one that built the image.
#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include "jobs/specs/phase_specs.hpp"
#include "jobs/specs/spec_parts.hpp"

namespace nbs::jobs::specs {
namespace json = boost::json;

namespace {

constexpr int k_avoid_build_node_weight = -50;

// "nbs-test" is the wrapper's $0 (its own error messages start with it).
constexpr std::string_view k_wrapper_name = "nbs-test";

// `.Data.data.k` for identifiers, `index .Data.data "k"` for names with '-' or '.'.
std::string secret_field(const std::string& field) {
  const bool identifier = !field.empty() && !std::isdigit(static_cast<unsigned char>(field[0])) &&
                          std::all_of(field.begin(), field.end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                          });
  return identifier ? "{{ .Data.data." + field + " }}" : "{{ index .Data.data \"" + field + "\" }}";
}

void add_secrets(nomad::Task& task, const JobRequest& request) {
  const auto& secrets = request.test->vault_secrets;
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    std::string body = "\n";
    for (const auto& [field, variable] : secrets[i].fields) {
      body += variable + "=" + secret_field(field) + "\n";
    }
    task.templates.push_back(
        parts::secret_template(secrets[i].path, body, "secrets/vault-" + std::to_string(i) + ".env", true));
  }
  if (!request.registry_credentials_path.empty()) {
    // The driver's `auth` is interpolated from these variables when the image is pulled.
    task.templates.push_back(parts::secret_template(request.registry_credentials_path,
                                                    "\nNBS_REGISTRY_USERNAME={{ .Data.data.username "
                                                    "}}\nNBS_REGISTRY_PASSWORD={{ .Data.data.password }}\n",
                                                    "secrets/registry.env", true));
    task.config["auth"] = json::array{
        json::object{{"username", "${NBS_REGISTRY_USERNAME}"}, {"password", "${NBS_REGISTRY_PASSWORD}"}}};
  }
}

nomad::Task test_task(const std::string& name, const std::optional<std::string>& command,
                      const PhaseLaunch& launch, const NomadSpecConfig& config,
                      const ResolvedResources& resources) {
  const TestConfig& test = *launch.request.test;
  nomad::Task task;
  task.name = name;
  task.driver = std::string(to_string(config.test_driver));
  task.config =
      json::object{{"image", launch.test_image},
                   {"labels", json::object{{"nbs.job", launch.id.job_id}, {"nbs.phase", launch.id.name()}}}};
  if (command) {
    // The drivers' `command` only replaces the image's CMD: with an ENTRYPOINT the command would become
    // its arguments. stderr joins stdout, so the task's log (getLogs, the failure excerpt) holds both in
    // their order, as on the local executor. The command itself stays one argument, untouched.
    task.config["entrypoint"] = json::array{"/bin/sh", "-c"};
    if (test.reports.empty()) {
      task.config["args"] = json::array{"exec 2>&1\n" + *command};
    } else {
      json::array args{json::string(k_report_wrapper), json::string(k_wrapper_name), json::string(*command)};
      for (const auto& path : test.reports) {
        args.emplace_back(path);
      }
      task.config["args"] = std::move(args);
    }
  }
  task.env = test.env;
  add_secrets(task, launch.request);
  if (!task.templates.empty()) {
    parts::add_vault(task, config);
  }
  parts::apply_task_defaults(task, resources, config);
  if (test.gpu_count > 0) {
    task.resources.devices.push_back(
        nomad::RequestedDevice{.name = "nvidia/gpu", .count = static_cast<std::uint64_t>(test.gpu_count)});
  }
  return task;
}

}  // namespace

// The copies go under alloc/data, not alloc/ itself: Nomad makes alloc/data (like logs and tmp) 0777
// for tasks of any user, while alloc/ is 0755 and root's in current clients (client/allocdir Build),
// and the image's USER is often not root. The docker and podman drivers mount the shared dir at /alloc
// (NOMAD_ALLOC_DIR). `[ -f ]` and `[ -d ]` follow a symlinked path, and "$p/." copies the directory it
// names; symlinks inside a tree stay links, which the executor does not read (the fs API would follow
// them on the client). cp's error text, captured, is what getArtifacts shows for a path in error.
// No "${name}" in the text: the client interpolates those in a driver's config (unknown names stay).
// The command runs in the foreground, as without reports: in the background a non-interactive shell
// would start it with SIGINT and SIGQUIT ignored, for good. So a stop's SIGTERM, which reaches only this
// shell (PID 1, deaf to it), ends the task at the kill timeout with nothing copied.
const std::string_view k_report_wrapper = R"(exec 2>&1
/bin/sh -c "$1"
status=$?
shift
d=/alloc/data/nbs-reports
mkdir -p "$d" || exit "$status"
copy() {
  e=$(cp "$@" 2>&1) || printf '%s\n' "${e:-cp failed}" >"$d/$n.error"
}
n=0
for p in "$@"; do
  b=$p
  while [ "${b%/}" != "$b" ]; do b=${b%/}; done
  b=${b##*/}
  if [ -d "$p" ]; then
    mkdir -p "$d/$n/$b" && copy -R "$p/." "$d/$n/$b/"
  elif [ -f "$p" ]; then
    mkdir -p "$d/$n" && copy "$p" "$d/$n/$b"
  elif [ -e "$p" ]; then
    echo 'not a regular file or a directory' >"$d/$n.error"
  else
    : >"$d/$n.missing"
  fi
  n=$((n + 1))
done
exit "$status"
)";

Result<nomad::Job> test_job_spec(const PhaseLaunch& launch, const NomadSpecConfig& config,
                                 std::string_view build_node_id) {
  if (!launch.request.test || !launch.request.has_tests()) {
    return make_error(ErrorKind::internal, "nomad spec: the request has no tests");
  }
  if (launch.test_image.empty()) {
    return make_error(ErrorKind::internal, "nomad spec: no test image");
  }
  const TestConfig& test = *launch.request.test;
  const auto resources = parts::phase_resources(launch.request, Phase::test, config);
  nomad::Job job = parts::job_frame(launch, config);
  for (const auto& c : test.constraints) {
    job.constraints.push_back(
        nomad::Constraint{.l_target = c.attribute, .r_target = c.value, .operand = c.operand});
  }
  if (!build_node_id.empty()) {
    job.affinities.push_back(nomad::Affinity{.l_target = "${node.unique.id}",
                                             .r_target = std::string(build_node_id),
                                             .operand = "=",
                                             .weight = k_avoid_build_node_weight});
  }
  if (!test.reports.empty()) {
    // For the executor, which reads the copies after the tasks ended (a path left no copy when its
    // task was stopped first).
    job.meta[std::string(k_reports_meta)] =
        json::serialize(json::array(test.reports.begin(), test.reports.end()));
  }
  auto add = [&](const std::string& name, const std::optional<std::string>& command) {
    nomad::TaskGroup group = parts::group(name, resources);
    group.tasks.push_back(test_task(name, command, launch, config, resources));
    job.task_groups.push_back(std::move(group));
  };
  for (std::size_t i = 0; i < test.commands.size(); ++i) {
    add("cmd-" + std::to_string(i), test.commands[i]);
  }
  if (test.entry_point) {
    add("entry-point", std::nullopt);
  }
  return job;
}

}  // namespace nbs::jobs::specs
