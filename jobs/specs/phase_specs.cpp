// Names and dispatch shared by the phase builders.
#include "jobs/specs/phase_specs.hpp"

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
