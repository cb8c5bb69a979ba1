// What the orchestrator is told by the daemon's configuration: the reconciler's limits, how often the
// watch loop looks at jobs, what the runner needs on this executor, and the history's bounds. Its own
// header so that the parts of the orchestrator (phase_actions.hpp, …) take it without the whole class.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/job_request.hpp"
#include "common/runner_spec.hpp"
#include "mcpd/orchestrator/reconciler.hpp"

namespace nbs::mcpd {

struct OrchestratorConfig {
  ReconcileConfig reconcile;
  std::chrono::seconds stop_grace{30};  // SIGTERM → SIGKILL for a stopped phase
  std::chrono::seconds lock_margin{
      std::chrono::minutes(10)};  // a lease lives this long past its phase deadline
  std::chrono::milliseconds idle_check{std::chrono::seconds(15)};  // look at waiting jobs at least this often
  // A running phase is looked at when the executor reports a change, at its deadlines, and at least this
  // often (a safety net), so watching a job costs the same however long it runs.
  std::chrono::milliseconds running_check{std::chrono::minutes(5)};
  // What the runner needs on this executor.
  std::string cache_dir;
  StorageDriver storage_driver = StorageDriver::overlay;
  std::string build_user;
  std::string registries_conf;
  std::string registry_auth_file;      // containers auth.json for the registries jobs push to
  std::string build_cache_repository;  // the default place of the shared layer cache (cache_repository)
  std::string signature_store;         // where publish stores the signatures of jobs with `sign`
  std::size_t history_limit = 1000;
  // getHistory is answered from an index built from the store at start; it takes in what other replicas
  // wrote or trimmed at least this often, and the jobs they accepted, which this daemon then drives too
  // (so a job goes on within this time when its replica dies).
  std::chrono::milliseconds history_resync{std::chrono::minutes(1)};
  // A getHistory call right after a start waits this long for the index before answering unavailable
  // (it blocks its thread meanwhile: short, and only until the index is read).
  std::chrono::milliseconds history_load_wait{std::chrono::seconds(1)};
  // Checked at submit after the request's own grammar and the executor's capabilities: field errors for
  // what this daemon will not run for this caller (mcpd/submit_policy.hpp), e.g. a webhook into the
  // daemon's own network. The second argument is the caller's principal ("" without tokens).
  std::function<std::vector<FieldError>(const JobRequest&, const std::string&)> admit;
  // A running build's latest Buildah step is read from its log at most this often, however many
  // clients poll (on Nomad a log read is a request).
  std::chrono::milliseconds progress_refresh{std::chrono::seconds(1)};
  // While the step stays the same (a long RUN), the interval doubles up to this.
  std::chrono::milliseconds progress_refresh_max{std::chrono::seconds(8)};
  // Finished records no longer change: recently read ones are answered from memory for this long
  // (bounded by how long another replica's history trimming may go unseen here).
  std::size_t settled_cache_size = 256;
  std::chrono::milliseconds settled_cache_ttl{std::chrono::seconds(30)};
};

}  // namespace nbs::mcpd
