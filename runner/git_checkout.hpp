// The checkout of one commit of a mirror into the task's work dir: a small repository whose objects
// come from the mirror (an alternates file, so nothing is copied), the tree checked out, and the
// submodules initialised and updated recursively.
#pragma once

#include <functional>
#include <string>

#include "common/error.hpp"
#include "runner/git_support.hpp"

namespace nbs::runner {

struct CheckoutResult {
  std::string commit;
  int submodules = 0;  // updated, nested ones included
};

// Called once per submodule updated ("path url").
using SubmoduleReport = std::function<void(const std::string& path, const std::string& url)>;

// Replaces `dir` (anything there is removed first) with the tree of `commit` from `mirror`; `repo_url`
// becomes the checkout's origin, so relative submodule URLs resolve against it.
Result<CheckoutResult> checkout_commit(const std::string& mirror, const std::string& repo_url,
                                       const std::string& commit, const std::string& dir,
                                       const GitControl& control, const SubmoduleReport& report = {});

}  // namespace nbs::runner
