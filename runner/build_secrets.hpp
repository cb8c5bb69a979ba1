// The job's build secrets and SSH keys (build.secrets, build.ssh) staged for Buildah: copied from
// credentials.build_secrets_dir (a Nomad task's secrets directory, or the copies the local executor made
// in the phase directory) into a directory only the build user can read, their values masked in the
// phase log, and removed again however the build ends.
#pragma once

#include <map>
#include <string>

#include "common/error.hpp"
#include "common/phase_log_writer.hpp"
#include "common/runner_spec.hpp"
#include "runner/build_user.hpp"

namespace nbs::runner {

class StagedBuildSecrets {
 public:
  // Nothing to stage when the request has no build.secrets and no build.ssh. Fails naming the entry
  // (build.secrets[i]) whose file is missing, unreadable or too large. `buildah_tmp` is Buildah's TMPDIR.
  static Result<StagedBuildSecrets> stage(const RunnerSpec& spec, const BuildIdentity& identity,
                                          const std::string& dir, const std::string& buildah_tmp,
                                          PhaseLogWriter& log);

  StagedBuildSecrets() = default;
  StagedBuildSecrets(StagedBuildSecrets&& other) noexcept;
  StagedBuildSecrets& operator=(StagedBuildSecrets&&) = delete;
  StagedBuildSecrets(const StagedBuildSecrets&) = delete;
  StagedBuildSecrets& operator=(const StagedBuildSecrets&) = delete;
  ~StagedBuildSecrets();  // removes the staged copies

  const std::map<std::string, std::string>& secrets() const { return secrets_; }  // id → file
  const std::map<std::string, std::string>& ssh() const { return ssh_; }          // id → key file
  // With SSH keys, the TMPDIR Buildah must use instead of buildah_tmp (a short path to the same place);
  // empty otherwise.
  const std::string& ssh_tmp_dir() const { return ssh_tmp_dir_; }

 private:
  std::string dir_;        // empty: nothing to remove
  std::string short_dir_;  // the directory in /tmp holding ssh_tmp_dir_; empty: none
  std::string ssh_tmp_dir_;
  std::map<std::string, std::string> secrets_;
  std::map<std::string, std::string> ssh_;
};

}  // namespace nbs::runner
