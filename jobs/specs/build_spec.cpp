// The build phase: nbs-runner build with the cache volume (Buildah storage and Git mirrors).
#include "jobs/specs/phase_specs.hpp"
#include "jobs/specs/spec_parts.hpp"

namespace nbs::jobs::specs {

Result<nomad::Job> build_job_spec(const PhaseLaunch& launch, const NomadSpecConfig& config) {
  const auto resources = parts::phase_resources(launch.request, Phase::build, config);
  auto task = parts::runner_task(launch, config, true);
  if (!task) {
    return task.error();
  }
  parts::apply_task_defaults(*task, resources, config);
  nomad::Job job = parts::job_frame(launch, config);
  nomad::TaskGroup group = parts::group("build", resources);
  parts::add_cache_volume(group, config);
  group.tasks.push_back(std::move(*task));
  job.task_groups.push_back(std::move(group));
  return job;
}

}  // namespace nbs::jobs::specs
