// Whether a user may use a path the way a task will: the daemon runs as root and hands directories and
// files to the build user, and a directory on the way that the build user cannot enter makes every job
// fail later with a puzzling "cannot read spec.json". Checked at start-up instead.
#pragma once

#include <filesystem>
#include <optional>

#include "common/error.hpp"
#include "common/process.hpp"

namespace nbs {

enum class Access { read, write, execute, read_write };

// Ok when `user` (the calling process itself when nullopt) may use `path` as `access` says. Otherwise an
// invalid_argument error whose message names the path and, when a directory on the way is closed to the
// user, that directory.
Status check_access(const std::filesystem::path& path, Access access,
                    const std::optional<UserIdentity>& user = std::nullopt);

}  // namespace nbs
