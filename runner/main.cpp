// nbs-runner: runs one phase of a job inside a Nomad allocation or as a child of the local executor.
// See runner/README.md for the subcommands and the exit codes.
#include <atomic>
#include <iostream>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "runner/build_phase.hpp"
#include "runner/doctor.hpp"
#include "runner/git_support.hpp"
#include "runner/phase_main.hpp"
#include "runner/publish_phase.hpp"
#include "runner/run_command.hpp"

namespace {

using namespace nbs;
using namespace nbs::runner;

// The one piece of process-wide state: a signal handler can reach nothing else.
std::atomic<ProcessStop*> g_stop{nullptr};

extern "C" void on_stop_signal(int) {
  if (ProcessStop* stop = g_stop.load()) {
    stop->request();
  }
}

void install_signal_handlers(ProcessStop& stop) {
  g_stop.store(&stop);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

LogFormat parse_format(const std::string& text, LogFormat tty_default) {
  if (text == "json") {
    return LogFormat::json;
  }
  if (text == "text") {
    return LogFormat::text;
  }
  return tty_default;
}

}  // namespace

// What can throw outside the try below is CLI11's set-up of the options (on a duplicate name: a bug that
// every run shows) and std::bad_alloc; std::terminate is the right end for both.
// NOLINTNEXTLINE(bugprone-exception-escape): only a bug or an exhausted heap throws outside the try
int main(int argc, char** argv) {
  CLI::App app{"nbs-runner: runs a phase of a Nomad Build Service job (build, publish, cleanup)"};
  app.require_subcommand(1);
  // Global options may follow the subcommand too (`nbs-runner build --spec F --log-format json`), the
  // order the Nomad specs and the local executor use and people type.
  app.fallthrough();
  app.set_version_flag("--version", std::string("nbs-runner ") + NBS_VERSION);
  std::string log_format = "auto";
  app.add_option("--log-format", log_format, "json (default) or text (default for `run` on a terminal)")
      ->check(CLI::IsMember({"auto", "json", "text"}));
  RunnerOptions options;
  bool allow_root = false;
  app.add_flag("--allow-root", allow_root, "allow Buildah to run as root when no build user is set");
  app.add_option("--buildah", options.buildah, "the buildah program");
  long push_stop_grace_ms = options.push_stop_grace.count();
  app.add_option("--push-stop-grace-ms", push_stop_grace_ms,
                 "on SIGTERM, how long a running push or manifest operation may finish (default 30000)");

  std::string spec_path;
  auto* build =
      app.add_subcommand("build", "fetch, build and push an image (spec JSON from FILE or - for stdin)");
  build->add_option("--spec", spec_path, "the runner spec")->required();
  auto* publish = app.add_subcommand("publish", "copy the temp image to every final tag inside the registry");
  publish->add_option("--spec", spec_path, "the runner spec")->required();
  auto* cleanup = app.add_subcommand("cleanup", "remove the job's temp tag (never other tags of its image)");
  cleanup->add_option("--spec", spec_path, "the runner spec")->required();

  DoctorOptions doctor_options;
  auto* doctor = app.add_subcommand("doctor", "check that this node can run rootless builds");
  doctor->add_option("--build-user", doctor_options.build_user, "the build user (when root)");
  doctor->add_option("--cache-dir", doctor_options.cache_dir, "the cache volume");

  RunJobOptions run_options;
  auto* run =
      app.add_subcommand("run", "debugging on a node: build, test with podman and publish a job file");
  run->add_option("job", run_options.job_file, "the job file (YAML or JSON)")->required();
  run->add_option("--cache-dir", run_options.cache_dir, "the cache volume (default /var/cache/nbs)");
  run->add_option("--work-dir", run_options.work_dir, "scratch space (default: a new directory under /tmp)");
  run->add_option("--build-user", run_options.build_user, "the build user when root (default build)");
  run->add_option("--registries-conf", run_options.registries_conf,
                  "registries.conf for Buildah, podman, publish");
  run->add_option("--auth-file", run_options.auth_file, "registry auth.json");
  run->add_option("--git-token-file", run_options.git_token_file, "Git token file");
  run->add_option("--signing-key", run_options.signing_key_file, "a job with sign: the GPG secret key file");
  run->add_option("--signature-store", run_options.signature_store,
                  "a job with sign: the lookaside directory for signatures");
  run->add_option("--storage-driver", run_options.storage_driver, "overlay (default) or vfs")
      ->check(CLI::IsMember({"overlay", "vfs"}));

  CLI11_PARSE(app, argc, argv);
  options.allow_root = allow_root ? AllowRoot::yes : AllowRoot::no;
  options.push_stop_grace = std::chrono::milliseconds(push_stop_grace_ms);

  ProcessStop stop;
  install_signal_handlers(stop);
  GitLibrary git;
  LogFormat format = parse_format(log_format, LogFormat::json);
  try {
    if (*build || *publish || *cleanup) {
      std::string name = *build ? "build" : *publish ? "publish" : "cleanup";
      PhaseBody body = *build     ? PhaseBody(run_build_phase)
                       : *publish ? PhaseBody(run_publish_phase)
                                  : PhaseBody(run_cleanup_phase);
      return to_int(run_phase_from_spec({.phase_name = name, .spec_path = spec_path, .format = format},
                                        options, stop, body));
    }
    if (*run) {
      run_options.format =
          parse_format(log_format, ::isatty(STDOUT_FILENO) ? LogFormat::text : LogFormat::json);
      return to_int(run_job_file(run_options, options, stop));
    }
    {
      doctor_options.buildah = options.buildah;
      auto checks = run_doctor(doctor_options);
      std::cout << format_doctor_report(checks);
      return to_int(build_can_run(checks) ? ExitCode::ok : ExitCode::not_ready);
    }
  } catch (const std::exception& e) {
    std::cerr << "nbs-runner: internal error: " << e.what() << "\n";
    return to_int(ExitCode::internal);
  }
}
