#include "runner/git_mirror.hpp"

#include <filesystem>

#include "common/digest.hpp"
#include "common/file_lock.hpp"

namespace nbs::runner {
namespace {

namespace fs = std::filesystem;

// Opens the mirror, or (re)creates it when missing or unusable, e.g. after a crash during creation.
Result<bool> open_or_create(const std::string& path, GitRepo& repo) {
  if (fs::exists(path) && git_repository_open_bare(repo.out(), path.c_str()) == 0) {
    return false;
  }
  std::error_code ec;
  fs::remove_all(path, ec);
  git_repository_init_options init = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  init.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
  if (int rc = git_repository_init_ext(repo.out(), path.c_str(), &init); rc != 0) {
    return git_failure("git mirror " + path, rc);
  }
  return true;
}

Result<FetchStats> fetch(git_repository* repo, const std::string& url, const GitControl& control) {
  GitRemote remote;
  if (int rc = git_remote_create_anonymous(remote.out(), repo, url.c_str()); rc != 0) {
    return git_failure("git remote " + url, rc);
  }
  // A mirror: every branch and tag, forced, and branches deleted upstream pruned.
  const char* specs[] = {"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"};
  git_strarray refspecs{const_cast<char**>(specs), 2};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks = make_remote_callbacks(control);
  options.prune = GIT_FETCH_PRUNE;
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
  auto start = std::chrono::steady_clock::now();
  if (int rc = git_remote_fetch(remote.get(), &refspecs, &options, "nbs fetch"); rc != 0) {
    return git_failure("git fetch " + url, rc, &control);
  }
  const git_indexer_progress* s = git_remote_stats(remote.get());
  return FetchStats{.received_objects = s->received_objects,
                    .indexed_objects = s->indexed_objects,
                    .total_objects = s->total_objects,
                    .local_objects = s->local_objects,
                    .received_bytes = s->received_bytes,
                    .duration = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)};
}

Result<ResolvedRef> peel_to_commit(git_object* object, const std::string& ref, std::string kind) {
  GitObject commit;
  if (git_object_peel(commit.out(), object, GIT_OBJECT_COMMIT) != 0) {
    return make_error(ErrorKind::invalid_argument, "git_ref: " + ref + " does not name a commit");
  }
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, git_object_id(commit.get()));
  // A peeled GIT_OBJECT_COMMIT is a git_commit (libgit2's objects share one layout).
  const git_time_t seconds = git_commit_time(reinterpret_cast<const git_commit*>(commit.get()));
  return ResolvedRef{std::move(kind), std::string(hex), SystemTime(std::chrono::seconds(seconds))};
}

}  // namespace

std::string mirror_path(const std::string& cache_dir, const std::string& repo_url) {
  return (fs::path(cache_dir) / "git" / (sha256_hex(repo_url) + ".git")).string();
}

Result<ResolvedRef> resolve_ref(git_repository* repo, const std::string& ref) {
  for (const auto& [prefix, kind] : {std::pair{"refs/heads/", "branch"}, std::pair{"refs/tags/", "tag"}}) {
    GitObject object;
    if (git_revparse_single(object.out(), repo, (prefix + ref).c_str()) == 0) {
      return peel_to_commit(object.get(), ref, kind);
    }
  }
  GitObject object;
  if (int rc = git_revparse_single(object.out(), repo, ref.c_str()); rc != 0) {
    auto kind = rc == GIT_EAMBIGUOUS ? ErrorKind::invalid_argument : ErrorKind::not_found;
    std::string why =
        rc == GIT_EAMBIGUOUS ? " is an ambiguous commit prefix" : " is no branch, tag or commit";
    return make_error(kind, "git_ref: " + ref + why + " in the repository");
  }
  return peel_to_commit(object.get(), ref, "commit");
}

Result<MirrorSync> sync_mirror(const std::string& cache_dir, const std::string& repo_url,
                               const std::string& ref, const GitControl& control,
                               std::chrono::milliseconds lock_timeout) {
  MirrorSync sync{.path = mirror_path(cache_dir, repo_url)};
  std::error_code ec;
  fs::create_directories(fs::path(sync.path).parent_path(), ec);
  if (ec) {
    return make_error(ErrorKind::internal, "cache_dir: cannot create " + sync.path + ": " + ec.message());
  }
  auto lock = FileLock::acquire(sync.path + ".lock", lock_timeout, control.stop);
  if (!lock) {
    return lock.error();
  }
  GitRepo repo;
  auto created = open_or_create(sync.path, repo);
  if (!created) {
    return created.error();
  }
  auto stats = fetch(repo.get(), repo_url, control);
  if (!stats) {
    return stats.error();
  }
  sync.stats = *stats;
  sync.stats.created = *created;
  auto resolved = resolve_ref(repo.get(), ref);
  if (!resolved) {
    return resolved.error();
  }
  sync.ref = *resolved;
  return sync;
}

}  // namespace nbs::runner
