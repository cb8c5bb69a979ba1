#include "runner/git_checkout.hpp"

#include <filesystem>
#include <fstream>
#include <vector>

namespace nbs::runner {
namespace {

namespace fs = std::filesystem;

constexpr int k_max_submodule_depth = 8;

Status checkout_tree(git_repository* repo, const std::string& commit) {
  git_oid oid;
  if (git_oid_fromstr(&oid, commit.c_str()) != 0) {
    return make_error(ErrorKind::invalid_argument, "git checkout: bad commit id " + commit);
  }
  GitObject object;
  if (int rc = git_object_lookup(object.out(), repo, &oid, GIT_OBJECT_COMMIT); rc != 0) {
    return git_failure("git checkout " + commit, rc);
  }
  git_checkout_options options = GIT_CHECKOUT_OPTIONS_INIT;
  options.checkout_strategy = GIT_CHECKOUT_FORCE;
  if (int rc = git_checkout_tree(repo, object.get(), &options); rc != 0) {
    return git_failure("git checkout " + commit, rc);
  }
  if (int rc = git_repository_set_head_detached(repo, &oid); rc != 0) {
    return git_failure("git checkout " + commit, rc);
  }
  return {};
}

struct SubmoduleWalk {
  const GitControl& control;
  const SubmoduleReport& report;
  int updated = 0;
};

std::vector<std::string> submodule_names(git_repository* repo) {
  std::vector<std::string> names;
  git_submodule_foreach(
      repo,
      [](git_submodule*, const char* name, void* payload) {
        static_cast<std::vector<std::string>*>(payload)->emplace_back(name);
        return 0;
      },
      &names);
  return names;
}

Status update_submodules(git_repository* repo, SubmoduleWalk& walk, int depth) {
  if (depth > k_max_submodule_depth) {
    return make_error(ErrorKind::invalid_argument, "git submodules: nested deeper than 8 levels");
  }
  for (const auto& name : submodule_names(repo)) {
    GitSubmodule sm;
    if (int rc = git_submodule_lookup(sm.out(), repo, name.c_str()); rc != 0) {
      return git_failure("git submodule " + name, rc);
    }
    git_submodule_update_options options = GIT_SUBMODULE_UPDATE_OPTIONS_INIT;
    options.fetch_opts.callbacks = make_remote_callbacks(walk.control);
    options.checkout_opts.checkout_strategy = GIT_CHECKOUT_FORCE;
    if (int rc = git_submodule_update(sm.get(), 1, &options); rc != 0) {
      return git_failure("git submodule " + name, rc, &walk.control);
    }
    ++walk.updated;
    if (walk.report) {
      const char* url = git_submodule_url(sm.get());
      walk.report(git_submodule_path(sm.get()), url != nullptr ? url : "");
    }
    GitRepo sub;
    if (int rc = git_submodule_open(sub.out(), sm.get()); rc != 0) {
      return git_failure("git submodule " + name, rc);
    }
    if (auto s = update_submodules(sub.get(), walk, depth + 1); !s) {
      return s;
    }
  }
  return {};
}

}  // namespace

Result<CheckoutResult> checkout_commit(const std::string& mirror, const std::string& repo_url,
                                       const std::string& commit, const std::string& dir,
                                       const GitControl& control, const SubmoduleReport& report) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  {
    GitRepo created;
    git_repository_init_options init = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    init.flags = GIT_REPOSITORY_INIT_MKPATH;
    init.origin_url = repo_url.c_str();
    if (int rc = git_repository_init_ext(created.out(), dir.c_str(), &init); rc != 0) {
      return git_failure("git checkout into " + dir, rc);
    }
    // Borrow the mirror's objects instead of copying them.
    std::ofstream alternates(fs::path(git_repository_path(created.get())) / "objects" / "info" /
                             "alternates");
    alternates << (fs::path(mirror) / "objects").string() << '\n';
    if (!alternates) {
      return make_error(ErrorKind::internal, "git checkout: cannot write the alternates file");
    }
  }
  // Reopened: a repository reads its alternates file when it opens.
  GitRepo repo;
  if (int rc = git_repository_open(repo.out(), dir.c_str()); rc != 0) {
    return git_failure("git checkout into " + dir, rc);
  }
  if (auto s = checkout_tree(repo.get(), commit); !s) {
    return s.error();
  }
  SubmoduleWalk walk{control, report};
  if (auto s = update_submodules(repo.get(), walk, 0); !s) {
    return s.error();
  }
  return CheckoutResult{.commit = commit, .submodules = walk.updated};
}

}  // namespace nbs::runner
