// The phase job specs for representative requests, compared with checked-in JSON (golden/*.json;
// NBS_UPDATE_GOLDEN=1 rewrites them), and every key checked against the field names of Nomad's
// OpenAPI document (golden/openapi_fields.txt, from extract_openapi_fields.py) plus the Nomad 1.10
// fields that document lacks (ref/nomad-api.md §0, §3), and driver Config keys against ref §3.4.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"
#include "common/runner_spec.hpp"
#include "jobs/specs/phase_specs.hpp"
#include "tests/unit/testutil/pretty_json.hpp"

namespace nbs::jobs::specs {
namespace {
namespace json = boost::json;

const std::string k_golden = GOLDEN_DIR;

// Fields of Nomad 1.10 missing from the stale OpenAPI document (ref/nomad-api.md §0 and §3.3).
const std::set<std::string> k_additions = {"Job.NodePool",
                                           "Task.Identity",
                                           "Task.Identities",
                                           "Vault.Role",
                                           "Vault.Cluster",
                                           "Vault.DisableFile",
                                           "Vault.AllowTokenExpiration",
                                           "Template.Once",
                                           "Template.ErrMissingKey",
                                           "WorkloadIdentity.Name",
                                           "WorkloadIdentity.Audience",
                                           "WorkloadIdentity.ChangeMode",
                                           "WorkloadIdentity.ChangeSignal",
                                           "WorkloadIdentity.Env",
                                           "WorkloadIdentity.File",
                                           "WorkloadIdentity.Filepath",
                                           "WorkloadIdentity.ServiceName",
                                           "WorkloadIdentity.TTL"};

// Driver Config keys (ref/nomad-api.md §3.4), the subset a spec may use.
const std::map<std::string, std::set<std::string>> k_driver_keys = {
    {"exec", {"command", "args", "pid_mode", "ipc_mode", "cap_add", "cap_drop", "work_dir"}},
    {"raw_exec",
     {"command", "args", "work_dir", "cgroup_v1_override", "cgroup_v2_override", "oom_score_adj",
      "denied_envvars"}},
    {"docker", {"image",        "command", "args",           "entrypoint", "work_dir",
                "network_mode", "auth",    "auth_soft_fail", "force_pull", "image_pull_timeout",
                "privileged",   "volumes", "mount",          "devices",    "cap_add",
                "cap_drop",     "labels",  "logging",        "ports",      "runtime",
                "shm_size",     "ulimit",  "security_opt",   "hostname"}},
    {"podman",
     {"image",        "command",      "args",    "entrypoint", "working_dir",        "volumes",
      "auth",         "network_mode", "cap_add", "cap_drop",   "privileged",         "devices",
      "tmpfs",        "init",         "labels",  "force_pull", "image_pull_timeout", "auth_soft_fail",
      "security_opt", "shm_size",     "ulimit"}},
};
const std::set<std::string> k_auth_keys = {"username", "password", "email", "server_address"};

std::set<std::string> openapi_fields() {
  std::ifstream in(k_golden + "/openapi_fields.txt");
  std::set<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') {
      out.insert(line);
    }
  }
  return out;
}

// Schema of the objects under each key, where it differs from the key's own name.
const std::map<std::string, std::string> k_child_schema = {
    {"TaskGroups", "TaskGroup"},        {"Tasks", "Task"},
    {"Constraints", "Constraint"},      {"Affinities", "Affinity"},
    {"Devices", "RequestedDevice"},     {"Templates", "Template"},
    {"Identities", "WorkloadIdentity"}, {"VolumeMounts", "VolumeMount"},
    {"Volumes", "VolumeRequest"}};
const std::set<std::string> k_free_form = {"Meta", "Env"};

void check_keys(const json::object& o, const std::string& schema, const std::set<std::string>& known,
                std::vector<std::string>& bad) {
  for (const auto& [k, v] : o) {
    const std::string key(k);
    const std::string field = schema + "." + key;
    if (!known.contains(field) && !k_additions.contains(field)) {
      bad.push_back(field);
    }
    if (k_free_form.contains(key)) {
      continue;
    }
    if (key == "Config") {
      const auto& driver = o.at("Driver").as_string();
      for (const auto& [ck, cv] : v.as_object()) {
        if (!k_driver_keys.at(std::string(driver)).contains(std::string(ck))) {
          bad.push_back("Config(" + std::string(driver) + ")." + std::string(ck));
        }
        if (ck == "auth") {
          for (const auto& [ak, av] : cv.as_array().at(0).as_object()) {
            if (!k_auth_keys.contains(std::string(ak))) {
              bad.push_back("Config.auth." + std::string(ak));
            }
          }
        }
      }
      continue;
    }
    auto child = k_child_schema.contains(key) ? k_child_schema.at(key) : key;
    if (v.is_object()) {
      if (key == "Volumes") {
        for (const auto& [name, vol] : v.as_object()) {
          check_keys(vol.as_object(), child, known, bad);
        }
      } else {
        check_keys(v.as_object(), child, known, bad);
      }
    } else if (v.is_array()) {
      for (const auto& item : v.as_array()) {
        if (item.is_object()) {
          check_keys(item.as_object(), child, known, bad);
        }
      }
    }
  }
}

JobRequest request(std::string_view text) {
  auto r = parse_job_request_json(text);
  EXPECT_TRUE(r) << r.error().describe();
  return r.value();
}

std::string runner_spec() {
  return R"({"version":1,"job_id":"j1","phase":"build","credentials":{"git_username":"bot"},)"
         R"("result_path":"/tmp/x","work_dir":"/tmp/w","cache_dir":"/tmp/c"})";
}

// The runner spec the daemon writes for `launch`'s build (with its request), as the launch's spec file.
void set_build_spec(PhaseLaunch& launch) {
  const RunnerSpec spec{.job_id = launch.id.job_id,
                        .phase = Phase::build,
                        .request = launch.request,
                        .cache_dir = "/tmp/c",
                        .work_dir = "/tmp/w",
                        .result_path = "/tmp/x"};
  launch.runner_spec_json = json::serialize(to_json(spec));
}

void check_golden(const std::string& name, const Result<nomad::Job>& job) {
  ASSERT_TRUE(job) << job.error().message;
  const json::value body = json::object{{"Job", nomad::to_json(*job)}};
  std::vector<std::string> bad;
  check_keys(body.as_object().at("Job").as_object(), "Job", openapi_fields(), bad);
  EXPECT_TRUE(bad.empty()) << "unknown Nomad fields: " << ::testing::PrintToString(bad);
  const std::string text = test_support::pretty_json(body);
  const std::string path = k_golden + "/" + name + ".json";
  if (std::getenv("NBS_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << text;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with NBS_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(text, expected.str()) << "golden " << path;
}

NomadSpecConfig config() {
  NomadSpecConfig c;
  c.namespace_name = "builds";
  c.region = "global";
  c.datacenters = {"dc1", "dc2"};
  c.node_pool = "build";
  return c;
}

TEST(SpecGolden, MinimalBuildWithExec) {
  PhaseLaunch launch{.id = {"j1", Phase::build, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app"})"),
                     .runner_spec_json = runner_spec()};
  check_golden("build_minimal", build_job_spec(launch, config()));
}

TEST(SpecGolden, BuildWithCredentialsOnDocker) {
  auto c = config();
  c.runner_driver = RunnerDriver::docker;
  c.runner_image = "registry.example:5000/nbs/runner:1";
  c.build_user = "";
  PhaseLaunch launch{.id = {"j2", Phase::build, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/private.git",
                                            "git_credentials_path":"secret/data/git/bot",
                                            "registry_url":"registry.example:5000/team/app",
                                            "registry_credentials_path":"secret/data/registry/push",
                                            "resource_limits":{"build":{"cpu":4000,"memory":8192,"disk":20480}},
                                            "test":{"commands":["make check"]}})"),
                     .runner_spec_json = runner_spec()};
  check_golden("build_credentials_docker", build_job_spec(launch, c));
}

TEST(SpecGolden, TestPhaseWithEverything) {
  auto c = config();
  c.test_driver = ContainerDriver::podman;
  PhaseLaunch launch{.id = {"j3", Phase::test, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app",
                                            "registry_credentials_path":"secret/data/registry/pull",
                                            "test":{"commands":["make test","echo \"{{ not a template }}\" && exit 0"],
                                                    "entry_point":true,"env":{"MODE":"ci"},"gpu_count":1,
                                                    "vault_secrets":[{"path":"secret/data/app","fields":{"api-key":"API_KEY","db_password":"DB_PASSWORD"}}],
                                                    "constraints":[{"attribute":"${attr.kernel.name}","value":"linux"}],
                                                    "resource_limits":{"cpu":800,"memory":2048}}})"),
                     .test_image = "registry.example:5000/team/app:tmp-j3"};
  check_golden("test_everything", test_job_spec(launch, c, "node-123"));
}

TEST(SpecGolden, TestPhaseWithReportsOnDocker) {
  PhaseLaunch launch{.id = {"j9", Phase::test, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app",
                                            "test":{"commands":["pytest --junitxml=/out/junit.xml"],
                                                    "reports":["/out/junit.xml","/out/logs/"]}})"),
                     .test_image = "registry.example:5000/team/app:tmp-j9"};
  check_golden("test_reports", test_job_spec(launch, config(), "node-123"));
}

TEST(SpecGolden, Publish) {
  PhaseLaunch launch{.id = {"j4", Phase::publish, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app",
                                            "registry_credentials_path":"secret/data/registry/push",
                                            "image_tags":["v1","latest"]})"),
                     .runner_spec_json = runner_spec()};
  check_golden("publish", publish_job_spec(launch, config()));
}

TEST(SpecGolden, CleanupOnRawExecSecondAttempt) {
  auto c = config();
  c.runner_driver = RunnerDriver::raw_exec;
  c.cache_dir = "/srv/nbs-cache";
  PhaseLaunch launch{.id = {"j5", Phase::cleanup, 2},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app"})"),
                     .runner_spec_json = runner_spec()};
  check_golden("cleanup_raw_exec", phase_job_spec(launch, c));
}

// The values of secret build args stay out of the job (its text is readable with read-job): the spec
// shows *** and the runner reads them from secrets/build-args, rendered from the phase's Variable.
TEST(SpecGolden, BuildWithSecretBuildArgs) {
  PhaseLaunch launch{.id = {"j6", Phase::build, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app",
                                            "build_args":{"NPM_TOKEN":"s3cr3t-value-j6","MODE":"ci"},
                                            "secret_build_args":["NPM_TOKEN"]})")};
  set_build_spec(launch);
  ASSERT_NE(launch.runner_spec_json.find("s3cr3t-value-j6"), std::string::npos);
  auto job = build_job_spec(launch, config());
  check_golden("build_secret_build_args", job);
  ASSERT_TRUE(job);
  EXPECT_EQ(json::serialize(nomad::to_json(*job)).find("s3cr3t-value-j6"), std::string::npos);
  EXPECT_EQ(build_args_variable(launch), "nomad/jobs/nbs-j6-build");
  // Only the build phase gets them.
  launch.id.phase = Phase::publish;
  EXPECT_EQ(build_args_variable(launch), std::nullopt);
}

// Each build secret and SSH key is a Vault template into the task's secrets dir, which the runner spec
// names; no value and no Vault path is in the spec itself beyond the request.
TEST(SpecGolden, BuildWithBuildSecrets) {
  PhaseLaunch launch{.id = {"j8", Phase::build, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app",
                                            "build":{"secrets":[{"id":"npmrc","source":"vault:secret/data/ci/npm#npmrc"}],
                                                     "ssh":[{"id":"default","source":"vault:secret/data/ci/git#private-key"}]}})"),
                     .runner_spec_json = runner_spec()};
  check_golden("build_build_secrets", build_job_spec(launch, config()));
}

// Several platforms are the runner's business (one bud, one manifest push): the job is an ordinary build
// whose spec file carries the request's platforms, on any node (the runner fails a RUN it cannot emulate).
TEST(SpecGolden, BuildForSeveralPlatforms) {
  PhaseLaunch launch{.id = {"j9", Phase::build, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app",
                                            "platforms":["linux/amd64","linux/arm64"]})")};
  set_build_spec(launch);
  auto job = build_job_spec(launch, config());
  check_golden("build_platforms", job);
  ASSERT_TRUE(job);
  EXPECT_NE(json::serialize(nomad::to_json(*job)).find(R"(\"platforms\":[\"linux/amd64\",\"linux/arm64\"])"),
            std::string::npos);
}

// The shared layer cache reaches the runner on Nomad through the spec file, as the daemon resolved it
// into the request (PhaseActions::act); on another host than the image's (the daemon's
// build_cache_repository) the task's auth.json has the job's registry credentials for it too.
TEST(SpecGolden, BuildWithRegistryCacheOnTheDaemonsCacheRegistry) {
  PhaseLaunch launch{.id = {"j7", Phase::build, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app",
                                            "registry_credentials_path":"secret/data/registry/push"})")};
  launch.request.cache = CacheConfig{cache_repository(launch.request, "cache.example:5000/nbs")};
  set_build_spec(launch);
  auto job = build_job_spec(launch, config());
  check_golden("build_registry_cache", job);
  ASSERT_TRUE(job);
  const std::string text = json::serialize(nomad::to_json(*job));
  EXPECT_NE(text.find(R"(\"registry_ref\":\"cache.example:5000/nbs/team/app\")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(\"cache.example:5000\":{\"auth\")"), std::string::npos) << text;
  // Only the build pushes the cache: the publish task's credentials stay with the image's registry.
  launch.id.phase = Phase::publish;
  auto publish = publish_job_spec(launch, config());
  ASSERT_TRUE(publish);
  const std::string publish_text = json::serialize(nomad::to_json(*publish));
  EXPECT_NE(publish_text.find(R"(\"registry.example:5000\":{\"auth\")"), std::string::npos) << publish_text;
  EXPECT_EQ(publish_text.find(R"(\"cache.example:5000\":{\"auth\")"), std::string::npos) << publish_text;
}

// The signing key of a job with `sign` is a Vault template into the publish task's secrets dir, which the
// runner spec names as credentials.signing_key_file; the store comes from the daemon. The build gets no key.
TEST(SpecGolden, PublishWithSigning) {
  PhaseLaunch launch{.id = {"j9", Phase::publish, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app",
                                            "image_tags":["v1"],
                                            "sign":{"key_ref":"vault:secret/data/ci/signing#private-key"}})")};
  const RunnerSpec spec{
      .job_id = "j9",
      .phase = Phase::publish,
      .request = launch.request,
      .temp_image = "registry.example:5000/team/app:tmp-j9",
      .final_images = {"registry.example:5000/team/app:j9", "registry.example:5000/team/app:v1"},
      .result_path = "/tmp/x",
      .signature_store = "/srv/nbs/sigstore"};
  launch.runner_spec_json = json::serialize(to_json(spec));
  auto job = publish_job_spec(launch, config());
  check_golden("publish_signing", job);
  ASSERT_TRUE(job);
  const auto& task = job->task_groups[0].tasks[0];
  auto key = std::find_if(task.templates.begin(), task.templates.end(),
                          [](const nomad::Template& t) { return t.dest_path == "secrets/signing-key"; });
  ASSERT_NE(key, task.templates.end());
  EXPECT_EQ(key->embedded_tmpl,
            R"({{ with secret "secret/data/ci/signing" }}{{ index .Data.data "private-key" }}{{ end }})");
  EXPECT_EQ(key->perms, "0400");
  EXPECT_TRUE(task.vault.has_value());
  EXPECT_NE(task.templates[0].embedded_tmpl.find(R"("signing_key_file":")"), std::string::npos);
  EXPECT_NE(task.templates[0].embedded_tmpl.find(R"("signature_store":"/srv/nbs/sigstore")"),
            std::string::npos);
  // The build of the same job renders no key.
  launch.id.phase = Phase::build;
  auto build = build_job_spec(launch, config());
  ASSERT_TRUE(build);
  const std::string build_text = json::serialize(nomad::to_json(*build));
  EXPECT_EQ(build_text.find("secrets/signing-key"), std::string::npos) << build_text;
  EXPECT_EQ(build_text.find("signing_key_file"), std::string::npos) << build_text;
}

TEST(SpecKeys, ATypoIsCaught) {
  std::vector<std::string> bad;
  check_keys(
      json::parse(R"({"ID":"x","TaskGroups":[{"Name":"g","RestartPolicy":{"Attempt":0}}]})").as_object(),
      "Job", openapi_fields(), bad);
  EXPECT_EQ(bad, std::vector<std::string>{"RestartPolicy.Attempt"});
  bad.clear();
  check_keys(
      json::parse(R"({"Tasks":[{"Driver":"docker","Config":{"image":"x","work_dir":"/","workdir":"/"}}]})")
          .as_object(),
      "TaskGroup", openapi_fields(), bad);
  EXPECT_EQ(bad, std::vector<std::string>{"Config(docker).workdir"});
}

TEST(SpecStructure, UserTextNeverBecomesATemplateAction) {
  PhaseLaunch launch{.id = {"j6", Phase::build, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app",
                                            "build_args":{"X":"{{ env \"HOME\" }}"}})"),
                     .runner_spec_json = R"({"note":"{{ env \"HOME\" }}"})"};
  auto job = build_job_spec(launch, config());
  ASSERT_TRUE(job);
  const auto& t = job->task_groups[0].tasks[0].templates[0];
  EXPECT_EQ(t.dest_path, "local/spec.json");
  EXPECT_EQ(*t.left_delim, "\x01{{");
  // The user's "{{" is plain text under these delimiters; only our actions carry \x01.
  EXPECT_NE(t.embedded_tmpl.find(R"("note":"{{ env \"HOME\" }}")"), std::string::npos);
  EXPECT_EQ(std::count(t.embedded_tmpl.begin(), t.embedded_tmpl.end(), '\x01'), 4);  // result_path, work_dir
}

// The test command and each report path are separate arguments of the fixed wrapper, byte for byte: the
// shell reads them as "$1" and "$@", never as part of its script.
TEST(SpecStructure, ReportPathsAreArgumentsOfAFixedWrapper) {
  const std::string nasty = "/out/a b 'q' \"d\" $(touch pwned) `id` ;x";
  json::array reports{"/out/junit.xml", json::string(nasty)};
  json::object body = json::parse(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                      "registry_url":"registry.example:5000/team/app",
                                      "test":{"commands":["make test","exit 3"]}})")
                          .as_object();
  body["test"].as_object()["reports"] = reports;
  PhaseLaunch launch{.id = {"j10", Phase::test, 1},
                     .request = request(json::serialize(body)),
                     .test_image = "registry.example:5000/team/app:tmp-j10"};
  auto job = test_job_spec(launch, config());
  ASSERT_TRUE(job) << job.error().message;
  ASSERT_EQ(job->task_groups.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const json::object& c = job->task_groups[i].tasks[0].config;
    EXPECT_EQ(c.at("entrypoint"), (json::array{"/bin/sh", "-c"}));
    const json::array want{json::string(k_report_wrapper), "nbs-test", i == 0 ? "make test" : "exit 3",
                           "/out/junit.xml", json::string(nasty)};
    EXPECT_EQ(c.at("args"), want);
  }
  EXPECT_EQ(job->meta.at(std::string(k_reports_meta)), json::serialize(reports));
  // Without reports, the command runs as before, in the script itself.
  launch.request.test->reports.clear();
  auto plain = test_job_spec(launch, config());
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->task_groups[0].tasks[0].config.at("args"), (json::array{"exec 2>&1\nmake test"}));
  EXPECT_EQ(plain->meta.count(std::string(k_reports_meta)), 0u);
}

TEST(SpecStructure, RunnerSpecMustBeAnObject) {
  PhaseLaunch launch{.id = {"j7", Phase::build, 1},
                     .request = request(R"({"owner":"ana","repo_url":"https://git.example/app.git",
                                            "registry_url":"registry.example:5000/team/app"})"),
                     .runner_spec_json = "[]"};
  auto job = build_job_spec(launch, config());
  ASSERT_FALSE(job);
  EXPECT_EQ(job.error().message, "nomad spec: the runner spec is not a JSON object");
}

TEST(SpecStructure, JobIdsCarryPhaseAndAttempt) {
  EXPECT_EQ(nomad_job_id({"abc", Phase::build, 1}), "nbs-abc-build");
  EXPECT_EQ(nomad_job_id({"abc", Phase::test, 3}), "nbs-abc-test-3");
}

}  // namespace
}  // namespace nbs::jobs::specs
