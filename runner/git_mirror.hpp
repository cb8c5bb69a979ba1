// The bare mirror of a repository on the cache volume, `<cache>/git/<sha256(repo_url)>.git`: created on
// first use, fetched incrementally after (every branch and tag), one fetch at a time per mirror
// (a flock on `<mirror>.lock`). The ref to build is resolved to a commit under the same lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "runner/git_support.hpp"

namespace nbs::runner {

struct FetchStats {
  bool created = false;  // the mirror did not exist (or was unusable) before
  unsigned received_objects = 0;
  unsigned indexed_objects = 0;
  unsigned total_objects = 0;
  unsigned local_objects = 0;  // objects the server sent as deltas against ones we had
  std::size_t received_bytes = 0;
  std::chrono::milliseconds duration{0};
};

// What the ref named: its kind ("branch", "tag", "commit") and the commit it peels to.
struct ResolvedRef {
  std::string kind;
  std::string commit;    // 40 hex
  SystemTime committed;  // the committer's time: the image's created label (one commit, one image)
};

struct MirrorSync {
  std::string path;
  FetchStats stats;
  ResolvedRef ref;
};

// `<cache_dir>/git/<sha256 of repo_url in hex>.git`.
std::string mirror_path(const std::string& cache_dir, const std::string& repo_url);

// Fetches `repo_url` into its mirror (creating it) and resolves `ref` in it. Fails with not_found when
// the ref does not exist; the message then names the ref.
Result<MirrorSync> sync_mirror(const std::string& cache_dir, const std::string& repo_url,
                               const std::string& ref, const GitControl& control,
                               std::chrono::milliseconds lock_timeout = std::chrono::minutes(10));

// The resolution order: refs/heads/<ref>, refs/tags/<ref> (annotated tags peeled), then any revision
// (a full or abbreviated commit id).
Result<ResolvedRef> resolve_ref(git_repository* repo, const std::string& ref);

}  // namespace nbs::runner
