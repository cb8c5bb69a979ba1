#include "runner/phase_main.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include "common/secret_build_args.hpp"

namespace nbs::runner {
namespace {

Result<std::string> read_spec_text(const std::string& path) {
  std::ostringstream s;
  if (path == "-") {
    s << std::cin.rdbuf();
    return s.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorKind::invalid_argument, "--spec: cannot read " + path);
  }
  s << in.rdbuf();
  return s.str();
}

// On Nomad the secret build args reach the runner in a file of the task's secrets dir, not in the spec
// (whose text Nomad keeps in the job definition for anyone who may read jobs).
Status load_secret_build_args(RunnerSpec& spec) {
  const std::string& path = spec.credentials.build_args_file;
  if (path.empty()) {
    return {};
  }
  const std::string field = "credentials.build_args_file";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorKind::invalid_argument, field + ": cannot read " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto values = decode_secret_build_args(text.str());
  if (!values) {
    return make_error(ErrorKind::invalid_argument, field + ": " + values.error().message);
  }
  for (const auto& name : spec.request.secret_build_args) {
    if (!values->contains(name)) {
      return make_error(ErrorKind::invalid_argument, field + ": holds no value for " + name);
    }
  }
  restore_secret_build_args(spec.request, *values);
  return {};
}

std::string end_text(ExitCode code, const std::string& message) {
  std::string text(to_string(code));
  if (!message.empty()) {
    text += ": " + message;
  }
  return text;
}

}  // namespace

ExitCode run_phase(const RunnerSpec& spec, PhaseLogWriter& log, const RunnerOptions& options,
                   const ProcessStop& stop, const PhaseBody& body) {
  auto start = std::chrono::steady_clock::now();
  for (const auto& [name, value] : secret_build_arg_values(spec.request)) {
    log.add_secret(value);  // in Buildah's output, a failing step's excerpt, any error that quotes it
  }
  log.phase_start("nbs-runner " + std::string(to_string(spec.phase)) + " for " + spec.request.repo_url +
                  " at " + spec.request.git_ref);
  PhaseContext ctx(spec, log, stop, options);
  PhaseResult result{.job_id = spec.job_id, .phase = std::string(to_string(spec.phase))};
  PhaseOutcome outcome;
  try {
    outcome = ctx.deadline_passed()
                  ? PhaseOutcome{ExitCode::deadline, "the deadline passed before the phase began"}
                  : body(ctx, result);
  } catch (const std::exception& e) {
    outcome = {ExitCode::internal, std::string("unexpected exception: ") + e.what()};
    log.error(outcome.message);
  }
  result.code = outcome.code;
  if (outcome.code != ExitCode::ok) {
    result.error = log.mask(outcome.message);
  }
  if (!spec.result_path.empty()) {
    if (auto s = write_result_file(spec.result_path, result); !s) {
      log.error(s.error().message);
      if (outcome.code == ExitCode::ok) {
        outcome = {ExitCode::internal, s.error().message};
      }
    }
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  // Only the first line of a long failure goes into phase_end; the error event has the rest.
  std::string first = outcome.message.substr(0, outcome.message.find('\n'));
  log.phase_end(to_int(outcome.code), end_text(outcome.code, first), ms.count());
  return outcome.code;
}

ExitCode run_phase_from_spec(const PhaseRun& run, const RunnerOptions& options, const ProcessStop& stop,
                             const PhaseBody& body) {
  auto text = read_spec_text(run.spec_path);
  auto spec = text ? parse_runner_spec_json(*text) : Result<RunnerSpec>(text.error());
  if (spec) {
    if (auto loaded = load_secret_build_args(*spec); !loaded) {
      spec = Result<RunnerSpec>(loaded.error());
    }
  }
  if (!spec) {
    PhaseLogWriter log(PhaseLogWriter::file_sink(run.out), "", run.phase_name, run.format);
    log.phase_start("nbs-runner " + run.phase_name);
    log.error(spec.error().describe());
    log.phase_end(to_int(ExitCode::spec_invalid), end_text(ExitCode::spec_invalid, spec.error().message), 0);
    return ExitCode::spec_invalid;
  }
  if (std::string(to_string(spec->phase)) != run.phase_name) {
    PhaseLogWriter log(PhaseLogWriter::file_sink(run.out), spec->job_id, run.phase_name, run.format);
    log.phase_start("nbs-runner " + run.phase_name);
    std::string message =
        "phase: the spec is for " + std::string(to_string(spec->phase)) + ", not " + run.phase_name;
    log.error(message);
    log.phase_end(to_int(ExitCode::spec_invalid), end_text(ExitCode::spec_invalid, message), 0);
    return ExitCode::spec_invalid;
  }
  PhaseLogWriter log(PhaseLogWriter::file_sink(run.out), spec->job_id, run.phase_name, run.format);
  return run_phase(*spec, log, options, stop, body);
}

}  // namespace nbs::runner
