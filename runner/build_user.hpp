// Who runs Buildah. As root the runner drops to the build user (rootless Buildah) and hands it the
// directories it writes; as any other user it runs Buildah as itself. Root Buildah needs --allow-root.
#pragma once

#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/process.hpp"
#include "runner/phase_context.hpp"

namespace nbs::runner {

struct BuildIdentity {
  std::optional<UserIdentity> run_as;  // nullopt: the runner's own user
  std::string home;                    // HOME for Buildah
};

// Fails (invalid_argument) for root without a build user and without --allow-root, or for an unknown
// build user.
Result<BuildIdentity> choose_build_identity(const std::string& build_user, AllowRoot allow_root);

// Hands `path` (and, with `recursive`, everything under it) to the build user; nothing without one.
// Symbolic links are changed themselves, never followed.
Status give_to_build_user(const BuildIdentity& identity, const std::string& path, bool recursive);

}  // namespace nbs::runner
