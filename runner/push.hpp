// `buildah push` of the built image to each target with --digestfile, retrying transient registry
// errors with a capped backoff. A stop request lets the running push finish within the grace, so a
// tag is either absent or complete, and starts no further push.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "runner/buildah.hpp"
#include "runner/phase_context.hpp"

namespace nbs::runner {

// True for output that names a failure worth retrying (connection refused or reset, timeouts, 5xx,
// 429 Too Many Requests); false for authentication, not found, and malformed requests.
// Whether a failed push is worth another try: the registry did not answer (registry_unreachable).
bool is_transient_registry_error(std::string_view output);

struct PushOutcome {
  ExitCode code = ExitCode::ok;
  std::string message;
  std::string digest;  // the same for every target
  std::vector<std::string> pushed;
  FailureClass failure_class = FailureClass::internal;  // of a failed push
};

// What push_image() sends: one image, or a local manifest list with all its images (an OCI index).
struct PushSource {
  std::string name;  // a local image name or id, or the list's name
  bool manifest_list = false;
};

// Pushes `source` to every target, in order, stopping at the first failure.
PushOutcome push_image(const PhaseContext& ctx, const BuildahSetup& setup,
                       const std::optional<UserIdentity>& run_as, const PushSource& source,
                       const std::vector<std::string>& targets, const std::string& digest_dir);

}  // namespace nbs::runner
