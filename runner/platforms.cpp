#include "runner/platforms.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sys/utsname.h>

namespace nbs::runner {
namespace {

namespace fs = std::filesystem;

struct MachinePlatform {
  std::string_view machine;  // uname -m, and the qemu-<machine> binfmt entry name
  std::string_view platform;
};

constexpr std::array<MachinePlatform, 9> k_machines{{{"x86_64", "linux/amd64"},
                                                     {"aarch64", "linux/arm64"},
                                                     {"arm", "linux/arm/v7"},
                                                     {"armv7l", "linux/arm/v7"},
                                                     {"i386", "linux/386"},
                                                     {"i686", "linux/386"},
                                                     {"ppc64le", "linux/ppc64le"},
                                                     {"s390x", "linux/s390x"},
                                                     {"riscv64", "linux/riscv64"}}};

// "linux/arm64/v8" → "linux/arm64": a variant runs where its architecture does (arm/v6 and arm/v7 alike
// run on an ARMv7 node).
std::string_view os_arch(std::string_view platform) {
  const auto first = platform.find('/');
  const auto second = platform.find('/', first + 1);
  return platform.substr(0, second);
}

bool binfmt_enabled(const fs::path& entry) {
  std::ifstream in(entry);
  std::string first;
  std::getline(in, first);
  return first == "enabled";
}

}  // namespace

std::string platform_of_machine(std::string_view machine) {
  for (const auto& m : k_machines) {
    if (m.machine == machine) {
      return std::string(m.platform);
    }
  }
  return {};
}

bool NodePlatforms::can_run(std::string_view platform) const {
  const auto wanted = os_arch(platform);
  if (!native.empty() && os_arch(native) == wanted) {
    return true;
  }
  return std::any_of(emulated.begin(), emulated.end(),
                     [&](const std::string& e) { return os_arch(e) == wanted; });
}

std::string NodePlatforms::describe() const {
  std::string out = native.empty() ? "unknown machine (native)" : native + " (native)";
  for (const auto& e : emulated) {
    out += ", " + e + " (emulated)";
  }
  return out;
}

NodePlatforms node_platforms(const std::string& binfmt_dir) {
  NodePlatforms node;
  utsname u{};
  if (::uname(&u) == 0) {
    node.native = platform_of_machine(u.machine);
  }
  std::error_code ec;
  if (std::ifstream status(fs::path(binfmt_dir) / "status"); status) {
    std::string state;
    std::getline(status, state);
    if (state != "enabled") {
      return node;
    }
  }
  for (const auto& entry : fs::directory_iterator(binfmt_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("qemu-") || !binfmt_enabled(entry.path())) {
      continue;
    }
    const std::string platform = platform_of_machine(std::string_view(name).substr(5));
    if (!platform.empty() && platform != node.native &&
        std::find(node.emulated.begin(), node.emulated.end(), platform) == node.emulated.end()) {
      node.emulated.push_back(platform);
    }
  }
  std::sort(node.emulated.begin(), node.emulated.end());
  return node;
}

std::optional<std::pair<std::string_view, std::string_view>> split_platform_prefix(std::string_view line) {
  if (!line.starts_with("[linux/")) {
    return std::nullopt;
  }
  const auto close = line.find("] ");
  if (close == std::string_view::npos) {
    return std::nullopt;
  }
  return std::pair{line.substr(1, close - 1), line.substr(close + 2)};
}

}  // namespace nbs::runner
