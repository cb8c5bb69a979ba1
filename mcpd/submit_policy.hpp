// What this daemon accepts beyond a request's own grammar: where webhooks may go, which repositories on
// this machine may be built, and who may submit as whom. Checked at submit (Orchestrator's `admit`), so a
// job that would be refused later, or reach what it must not, is a field error at once, on REST and MCP
// alike.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/job_request.hpp"
#include "mcpd/webhooks/target_guard.hpp"

namespace nbs::mcpd {

struct SubmitPolicy {
  PrivateTargets webhook_targets = PrivateTargets::refuse;
  // file:// repositories are built only from under these directories; none by default.
  std::vector<std::filesystem::path> file_repo_roots;
  // Never a repository, whatever the roots say: the daemon's state and cache (other jobs' Git mirrors).
  std::vector<std::filesystem::path> private_dirs;
  // The daemon's build_cache_repository: a job's cache.registry_ref may also lie under
  // <this>/<image path>; "" allows only the job's own image path.
  std::string build_cache_repository;
  // The daemon's signature_store: "" refuses jobs with `sign` (their signatures would have nowhere to go).
  std::string signature_store;
};

// One field error per rule `request` breaks for a caller with `principal` ("" when tokens are off).
std::vector<FieldError> check_submit(const JobRequest& request, const std::string& principal,
                                     const SubmitPolicy& policy);

}  // namespace nbs::mcpd
