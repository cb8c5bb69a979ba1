// Pieces shared by the phase builders: the job frame, a group with explicit policies, the nbs-runner
// task with its spec template, Vault templates and resources.
#pragma once

#include <string>
#include <vector>

#include "common/error.hpp"
#include "jobs/executor.hpp"
#include "jobs/nomad/job.hpp"
#include "jobs/specs/spec_config.hpp"

namespace nbs::jobs::specs::parts {

// Job with id, type batch, placement from the config and the nbs-* meta.
nomad::Job job_frame(const PhaseLaunch& launch, const NomadSpecConfig& config);

// A group with count 1, RestartPolicy attempts 0 mode fail, ReschedulePolicy attempts 0 not
// unlimited, and an ephemeral disk of `resources.disk` MB.
nomad::TaskGroup group(const std::string& name, const ResolvedResources& resources);

ResolvedResources phase_resources(const JobRequest& request, Phase phase, const NomadSpecConfig& config);

// Kill timeout and signal, log rotation and CPU/memory from the config and resources.
void apply_task_defaults(nomad::Task& task, const ResolvedResources& resources,
                         const NomadSpecConfig& config);

// The Vault block and, when configured, the vault_default identity.
void add_vault(nomad::Task& task, const NomadSpecConfig& config);

// {{ with secret "<path>" }}…{{ end }} rendered to `dest` (relative to the task dir), 0400.
nomad::Template secret_template(const std::string& path, const std::string& body, const std::string& dest,
                                bool envvars);

// The runner task of build/publish/cleanup: driver and command per config, User, the spec template
// (with result_path, work_dir and credential files pointing into the task's directories), Vault
// templates for the credentials the phase needs, and the cache volume mount when `with_cache`.
Result<nomad::Task> runner_task(const PhaseLaunch& launch, const NomadSpecConfig& config, bool with_cache);

// The group volume the cache mount refers to.
void add_cache_volume(nomad::TaskGroup& group, const NomadSpecConfig& config);

}  // namespace nbs::jobs::specs::parts
