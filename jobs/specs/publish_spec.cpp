// The publish phase: nbs-runner publish, a registry-side copy that needs no cache and no local storage.
#include "jobs/specs/phase_specs.hpp"
#include "jobs/specs/spec_parts.hpp"

namespace nbs::jobs::specs {

Result<nomad::Job> publish_job_spec(const PhaseLaunch& launch, const NomadSpecConfig& config) {
  const auto resources = parts::phase_resources(launch.request, Phase::publish, config);
  auto task = parts::runner_task(launch, config, false);
  if (!task) {
    return task.error();
  }
  parts::apply_task_defaults(*task, resources, config);
  nomad::Job job = parts::job_frame(launch, config);
  nomad::TaskGroup group = parts::group("publish", resources);
  group.tasks.push_back(std::move(*task));
  job.task_groups.push_back(std::move(group));
  return job;
}

}  // namespace nbs::jobs::specs
