// The podman storage the local executor keeps its test images and containers in: a directory of its own
// (under the daemon's cache dir), not the build user's default storage. Another daemon sharing the build
// user then cannot prune the layers of an image this one is pulling, nor see its containers.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/process.hpp"
#include "common/runner_spec.hpp"

namespace nbs::jobs {

// The podman program and the global options that choose its storage: every podman command of the
// executor starts with argv().
struct PodmanCommand {
  std::filesystem::path program = "/usr/bin/podman";
  std::vector<std::string> global_args;

  std::vector<std::string> argv(std::initializer_list<std::string> rest) const;
};

// Creates the storage `root` (the images; owned by `owner`) and the directory of its per-boot state, and
// answers the global options that use them. The per-boot state (podman's run root and tmp dir: running
// containers, mounts) goes under /tmp/nbs-podman-<uid>-<12 hex of the root's SHA-256>, since podman
// refuses a run root longer than 50 characters; it is emptied when the machine has rebooted since it was
// written, or podman would take dead containers for running ones. Podman records both paths in the
// storage's database, so `podman --root ROOT ...` finds them again by hand.
Result<std::vector<std::string>> prepare_podman_storage(const std::filesystem::path& root,
                                                        StorageDriver driver,
                                                        const std::optional<UserIdentity>& owner);

}  // namespace nbs::jobs
