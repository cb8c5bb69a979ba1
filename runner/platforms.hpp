// Which platforms this node can build for, and the per-platform lines of a multi-platform build. A
// Dockerfile without RUN builds for any platform (COPY, ENV and LABEL run nothing); a RUN executes the
// target platform's binaries, which only the node's own architecture or a binfmt_misc emulator
// (qemu-user) can.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nbs::runner {

struct NodePlatforms {
  std::string native;                 // "linux/amd64"; empty when the machine name is unknown
  std::vector<std::string> emulated;  // enabled qemu-<arch> binfmt_misc entries, as platforms

  // Whether a RUN step for `platform` can execute here (variants of the native architecture count).
  bool can_run(std::string_view platform) const;
  // "linux/amd64 (native), linux/arm64 (emulated)".
  std::string describe() const;
};

// The platform of a `uname -m` machine name ("x86_64" → "linux/amd64"); empty when unknown.
std::string platform_of_machine(std::string_view machine);

// This node: uname, then every enabled `qemu-*` entry of `binfmt_dir`.
NodePlatforms node_platforms(const std::string& binfmt_dir = "/proc/sys/fs/binfmt_misc");

// A multi-platform `buildah bud` prefixes each line of a platform's build with "[linux/arm64] ": the
// platform and the rest of the line, or nullopt for a line without such a prefix.
std::optional<std::pair<std::string_view, std::string_view>> split_platform_prefix(std::string_view line);

}  // namespace nbs::runner
