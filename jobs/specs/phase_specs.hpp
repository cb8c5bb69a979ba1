// The Nomad job of each phase, built from the validated request: the only place where a JobRequest
// becomes a Nomad spec. Every group sets its policies explicitly (no restarts, no reschedules: the
// reconciler decides retries), so Nomad's hidden batch defaults never apply.
//
// Names: job "nbs-<job id>-<phase>[-<attempt>]"; build, publish and cleanup have one group and task
// "runner"; test has one group per task, "cmd-<i>" for test.commands[i] and "entry-point".
// Meta on the job: nbs-job-id, nbs-phase, nbs-owner, nbs-attempt, and nbs-reports (below).
//
// test.reports: a test command's task runs k_report_wrapper instead of the command alone; it runs the
// command, then copies each report path into k_reports_alloc_dir (layout below) and exits with the
// command's status. The command and the paths are its positional arguments, never part of its text.
//
// Runner tasks get the runner spec as a template rendered to local/spec.json. Its paths that only
// Nomad knows (result file, work dir, secret files) are filled in by the template from the task
// environment; the template uses delimiters that serialized JSON can never contain, so no user text
// is ever read as a template action.
//
// Vault secrets (KV v2) are read with workload identity (Nomad 1.10: no Vault.Policies):
//  - git_credentials_path: field "token" (or "password"), rendered to secrets/git-token;
//  - registry_credentials_path: fields "username" and "password", rendered to secrets/auth.json for
//    the runner, and for test tasks to secrets/registry.env for the driver's `auth`;
//  - test.vault_secrets: each field into its environment variable (secrets/vault-<i>.env).
//
// Secret build args never enter a spec (the spec's text is part of the job, which every holder of
// read-job can read): the build phase's values wait in the Nomad Variable nomad/jobs/<nomad job id>,
// which only that job's workload identity and the daemon may read, and a template renders them to
// secrets/build-args. The executor writes the variable before registering the job and removes it once
// the task has started.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "jobs/executor.hpp"
#include "jobs/nomad/job.hpp"
#include "jobs/specs/spec_config.hpp"

namespace nbs::jobs::specs {

// "nbs-<job id>-<phase>", then "-<attempt>" from the second attempt (as PhaseId::name()).
std::string nomad_job_id(const PhaseId& id);
// The inverse: nullopt for a name that is not of that form (another application's job, a dispatched
// child "<parent>/dispatch-…", a phase we do not know).
std::optional<PhaseId> parse_nomad_job_id(std::string_view nomad_id);

// The Variable holding a build phase's secret build args, in item k_build_args_item
// (encode_secret_build_args); nullopt when the phase has none.
inline constexpr std::string_view k_build_args_item = "build_args";
inline constexpr std::string_view k_job_variables = "nomad/jobs/";  // + Nomad job id: that job may read it
std::optional<std::string> build_args_variable(const PhaseLaunch& launch);
std::string build_args_variable_path(const PhaseId& id);

// The test reports' copies in the allocation directory (as the fs API addresses it), for the report
// test.reports[n]: "<n>/<its base name>" (the file, or the directory's tree), or "<n>.missing" (nothing
// at that path), or "<n>.error" (why it could not be copied: the text of cp's error).
inline constexpr std::string_view k_reports_alloc_dir = "alloc/data/nbs-reports";
// The job's meta key holding test.reports, as a JSON array.
inline constexpr std::string_view k_reports_meta = "nbs-reports";
// `/bin/sh -c k_report_wrapper nbs-test <command> <path>...`.
extern const std::string_view k_report_wrapper;

// launch.runner_spec_json must be a JSON object (internal error otherwise).
Result<nomad::Job> build_job_spec(const PhaseLaunch& launch, const NomadSpecConfig& config);
// launch.test_image is the image under test; `build_node_id`, when known, is avoided softly.
Result<nomad::Job> test_job_spec(const PhaseLaunch& launch, const NomadSpecConfig& config,
                                 std::string_view build_node_id = {});
Result<nomad::Job> publish_job_spec(const PhaseLaunch& launch, const NomadSpecConfig& config);
Result<nomad::Job> cleanup_job_spec(const PhaseLaunch& launch, const NomadSpecConfig& config);

// The builder of launch.id.phase.
Result<nomad::Job> phase_job_spec(const PhaseLaunch& launch, const NomadSpecConfig& config,
                                  std::string_view build_node_id = {});

}  // namespace nbs::jobs::specs
