// Build secrets and SSH keys (the job's build.secrets and build.ssh): where a source comes from
// ("file:<name>" in the local daemon's build secrets directory, "vault:<path>#<field>" on Nomad) and
// the name each one has in the directory the runner reads them from (credentials.build_secrets_dir).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/job_request.hpp"

namespace nbs {

struct BuildSecretSource {
  enum class Kind { file, vault };
  Kind kind = Kind::file;
  std::string name;   // file: a file name in the daemon's build secrets directory
  std::string path;   // vault: a KV v2 path
  std::string field;  // vault: the field of that secret holding the value
};

// nullopt unless `text` is "file:<name>" (name [A-Za-z0-9][A-Za-z0-9_.-]{0,127}) or
// "vault:<vault path>#<vault field>".
std::optional<BuildSecretSource> parse_build_secret_source(std::string_view text);

// One entry of build.secrets or build.ssh, with where it is in the request.
struct BuildSecretEntry {
  const BuildSecret* secret;
  std::string field;  // "build.secrets[0]", "build.ssh[1]"
  bool ssh = false;

  // "secret-<id>" / "ssh-<id>": its file in credentials.build_secrets_dir.
  std::string file_name() const;
};

// build.secrets, then build.ssh.
std::vector<BuildSecretEntry> build_secret_entries(const JobRequest& request);

// The name of sign.key_ref's copy in a publish phase's secrets directory (the local executor's phase
// copy, a Nomad task's secrets dir), which the spec's credentials.signing_key_file names.
inline constexpr std::string_view k_signing_key_file = "signing-key";

}  // namespace nbs
