// Names and dispatch shared by the phase builders.
#include "jobs/specs/phase_specs.hpp"

#include <charconv>

namespace nbs::jobs::specs {

std::string_view to_string(RunnerDriver driver) {
  switch (driver) {
    case RunnerDriver::exec:
      return "exec";
    case RunnerDriver::raw_exec:
      return "raw_exec";
    case RunnerDriver::docker:
      return "docker";
    case RunnerDriver::podman:
      return "podman";
  }
  return "exec";
}

std::string_view to_string(ContainerDriver driver) {
  return driver == ContainerDriver::podman ? "podman" : "docker";
}

std::string nomad_job_id(const PhaseId& id) {
  std::string out = "nbs-" + id.job_id + "-" + std::string(to_string(id.phase));
  if (id.attempt > 1) {
    out += "-" + std::to_string(id.attempt);
  }
  return out;
}

std::string build_args_variable_path(const PhaseId& id) {
  return std::string(k_job_variables) + nomad_job_id(id);
}

std::optional<std::string> build_args_variable(const PhaseLaunch& launch) {
  if (launch.id.phase != Phase::build || launch.request.secret_build_args.empty()) {
    return std::nullopt;
  }
  return build_args_variable_path(launch.id);
}

std::optional<PhaseId> parse_nomad_job_id(std::string_view nomad_id) {
  constexpr std::string_view k_prefix = "nbs-";
  if (!nomad_id.starts_with(k_prefix) || nomad_id.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view rest = nomad_id.substr(k_prefix.size());
  // Read from the right: the job id itself contains '-' (a UUID).
  auto split_last = [&rest]() -> std::optional<std::string_view> {
    const auto dash = rest.rfind('-');
    if (dash == std::string_view::npos || dash == 0) {
      return std::nullopt;
    }
    std::string_view last = rest.substr(dash + 1);
    rest = rest.substr(0, dash);
    return last;
  };
  auto last = split_last();
  if (!last) {
    return std::nullopt;
  }
  PhaseId id;
  if (auto phase = parse_phase(*last)) {
    id.phase = *phase;
  } else {
    int attempt = 0;
    const auto [end, ec] = std::from_chars(last->data(), last->data() + last->size(), attempt);
    if (ec != std::errc() || end != last->data() + last->size() || attempt < 2 || (*last)[0] == '0') {
      return std::nullopt;  // attempt 1 carries no suffix, so "-1" is never ours
    }
    auto phase_text = split_last();
    auto named = phase_text ? parse_phase(*phase_text) : std::nullopt;
    if (!named) {
      return std::nullopt;
    }
    id.phase = *named;
    id.attempt = attempt;
  }
  if (rest.empty()) {
    return std::nullopt;
  }
  id.job_id = std::string(rest);
  return id;
}

Result<nomad::Job> phase_job_spec(const PhaseLaunch& launch, const NomadSpecConfig& config,
                                  std::string_view build_node_id) {
  switch (launch.id.phase) {
    case Phase::build:
      return build_job_spec(launch, config);
    case Phase::test:
      return test_job_spec(launch, config, build_node_id);
    case Phase::publish:
      return publish_job_spec(launch, config);
    case Phase::cleanup:
      return cleanup_job_spec(launch, config);
  }
  return make_error(ErrorKind::internal, "nomad spec: unknown phase");
}

}  // namespace nbs::jobs::specs
