// `nbs-runner doctor`: checks that a node can run rootless builds, printing each check with a fix.
#pragma once

#include <string>
#include <vector>

namespace nbs::runner {

enum class CheckLevel { ok, warn, fail };

struct DoctorCheck {
  std::string name;
  CheckLevel level = CheckLevel::ok;
  std::string detail;
  std::string fix;  // empty when ok
};

struct DoctorOptions {
  std::string build_user = "build";
  std::string cache_dir = "/var/cache/nbs";
  std::string buildah = "buildah";
  std::string podman = "podman";
};

std::vector<DoctorCheck> run_doctor(const DoctorOptions& options);

// "[ ok ] name: detail" / "[FAIL] name: detail\n       fix: …"; one block per check.
std::string format_doctor_report(const std::vector<DoctorCheck>& checks);

// True when no check failed (warnings allowed).
bool build_can_run(const std::vector<DoctorCheck>& checks);

// The subordinate id range of `user` (name or uid) in a subuid/subgid file's text: the largest count.
unsigned long subordinate_range(const std::string& file_text, const std::string& user, unsigned uid);

}  // namespace nbs::runner
