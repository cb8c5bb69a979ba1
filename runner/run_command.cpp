#include "runner/run_command.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/job_id.hpp"
#include "common/job_request_parser.hpp"
#include "runner/build_phase.hpp"
#include "runner/build_user.hpp"
#include "runner/phase_main.hpp"
#include "runner/publish_phase.hpp"

namespace nbs::runner {
namespace {

namespace fs = std::filesystem;

Result<JobRequest> read_job(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return make_error(ErrorKind::invalid_argument, path + ": cannot read the job file");
  }
  std::ostringstream s;
  s << in.rdbuf();
  auto request = parse_job_request_yaml(s.str());  // JSON is YAML too
  if (!request) {
    return make_error(ErrorKind::invalid_argument, path + ": " + request.error().describe());
  }
  return request;
}

std::string make_work_dir(const std::string& wanted) {
  if (!wanted.empty()) {
    fs::create_directories(wanted);
    return wanted;
  }
  std::string pattern = "/tmp/nbs-run-XXXXXX";
  std::string dir = ::mkdtemp(pattern.data());
  ::chmod(dir.c_str(), 0755);  // the build user works inside
  return dir;
}

RunnerSpec make_spec(const JobRequest& request, const std::string& job_id, Phase phase,
                     const RunJobOptions& run, const std::string& work) {
  RunnerSpec spec{.job_id = job_id,
                  .phase = phase,
                  .request = request,
                  .temp_image = temp_image_reference(request, job_id),
                  .final_images = final_image_references(request, job_id),
                  .cache_dir = run.cache_dir,
                  .work_dir = work + "/" + std::string(to_string(phase)),
                  .result_path = work + "/result-" + std::string(to_string(phase)) + ".json",
                  .credentials = {.git_token_file = run.git_token_file, .registry_auth_file = run.auth_file},
                  .storage_driver = run.storage_driver == "vfs" ? StorageDriver::vfs : StorageDriver::overlay,
                  .build_user = ::geteuid() == 0 ? run.build_user : "",
                  .registries_conf = run.registries_conf};
  if (request.sign) {
    // The spec takes absolute paths only; on the command line relative ones are natural.
    for (auto [from, to] : {std::pair{&run.signing_key_file, &spec.credentials.signing_key_file},
                            std::pair{&run.signature_store, &spec.signature_store}}) {
      *to = from->empty() ? std::string() : fs::absolute(*from).string();
    }
  }
  fs::create_directories(spec.work_dir);
  ::chmod(spec.work_dir.c_str(), 0755);
  return spec;
}

PhaseOutcome run_tests(const PhaseContext& ctx, const RunJobOptions& run) {
  const auto& spec = ctx.spec();
  auto identity = choose_build_identity(spec.build_user, ctx.options().allow_root);
  if (!identity) {
    return {ExitCode::not_ready, identity.error().message};
  }
  std::string root = spec.cache_dir + "/podman", run_root = spec.work_dir + "/podman-run";
  for (const auto& dir : {root, run_root}) {
    fs::create_directories(dir);
    if (auto s = give_to_build_user(*identity, dir, false); !s) {
      return {ExitCode::internal, s.error().message};
    }
  }
  std::vector<std::string> commands = spec.request.test->commands;
  if (spec.request.test->entry_point) {
    commands.emplace_back();
  }
  std::vector<std::string> env{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + identity->home};
  if (!spec.registries_conf.empty()) {
    env.push_back("CONTAINERS_REGISTRIES_CONF=" + spec.registries_conf);
  }
  auto deadline = std::chrono::steady_clock::now() + spec.request.test->timeout;
  for (const auto& command : commands) {
    Command c{.argv = podman_test_argv(run.podman, root, run_root, spec.temp_image, command),
              .env = env,
              .working_dir = "/",
              .run_as = identity->run_as,
              .group_ends_with_parent = true};
    ctx.log().line(LogStream::none, "$ " + format_argv(c.argv));
    auto options = ctx.run_options();
    if (!options.deadline || deadline < *options.deadline) {
      options.deadline = deadline;
    }
    auto r = run_process(
        c, [&](LogStream s, std::string_view line) { ctx.log().line(s, line); }, options);
    if (!r) {
      return {ExitCode::test_failed, r.error().message};
    }
    std::string name = command.empty() ? "entry point" : "test `" + command + "`";
    if (r->stopped != StopCause::none || !r->status.success()) {
      ctx.log().error(name + " failed: " + r->status.describe(), r->status.code);
      return {
          ctx.failure_code(r->stopped == StopCause::deadline ? ExitCode::deadline : ExitCode::test_failed),
          name + " failed: " + r->status.describe()};
    }
    ctx.log().line(LogStream::none, name + " passed");
  }
  return {ExitCode::ok, std::to_string(commands.size()) + " test(s) passed"};
}

}  // namespace

std::vector<std::string> podman_test_argv(const std::string& podman, const std::string& root,
                                          const std::string& run_root, const std::string& image,
                                          const std::string& command) {
  // runc and no private network: what works rootless on these nodes (crun fails on hybrid cgroups).
  std::vector<std::string> argv{podman, "--root",    root,   "--runroot", run_root, "run",
                                "--rm", "--runtime", "runc", "--network", "host",   image};
  if (!command.empty()) {
    argv.insert(argv.end(), {"sh", "-c", command});
  }
  return argv;
}

ExitCode run_job_file(const RunJobOptions& run, const RunnerOptions& options, const ProcessStop& stop) {
  PhaseLogWriter::Sink sink = PhaseLogWriter::file_sink(stdout);
  auto request = read_job(run.job_file);
  if (!request) {
    PhaseLogWriter log(sink, "", "build", run.format);
    log.error(request.error().message);
    log.phase_end(to_int(ExitCode::spec_invalid), "spec_invalid: " + request.error().message, 0);
    return ExitCode::spec_invalid;
  }
  std::string job_id = new_job_id();
  std::string work = make_work_dir(run.work_dir);
  auto build_spec = make_spec(*request, job_id, Phase::build, run, work);
  PhaseLogWriter build_log(sink, job_id, "build", run.format);
  auto code = run_phase(build_spec, build_log, options, stop, run_build_phase);
  if (code != ExitCode::ok) {
    return code;
  }
  if (request->has_tests()) {
    auto test_spec = make_spec(*request, job_id, Phase::test, run, work);
    PhaseLogWriter test_log(sink, job_id, "test", run.format);
    code = run_phase(test_spec, test_log, options, stop,
                     [&](const PhaseContext& ctx, PhaseResult&) { return run_tests(ctx, run); });
  }
  // With tests or `sign` the build pushed to the temp image: publish (and sign) it, or clean it up.
  if (request->publishes_from_temp_image()) {
    auto phase = code == ExitCode::ok ? Phase::publish : Phase::cleanup;
    auto spec = make_spec(*request, job_id, phase, run, work);
    PhaseLogWriter log(sink, job_id, std::string(to_string(phase)), run.format);
    auto next =
        run_phase(spec, log, options, stop, code == ExitCode::ok ? run_publish_phase : run_cleanup_phase);
    if (code == ExitCode::ok) {
      code = next;
    }
  }
  return code;
}

}  // namespace nbs::runner
