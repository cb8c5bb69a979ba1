#include "runner/build_user.hpp"

#include <filesystem>
#include <unistd.h>

namespace nbs::runner {

Result<BuildIdentity> choose_build_identity(const std::string& build_user, AllowRoot allow_root) {
  if (::geteuid() != 0) {
    const char* home = std::getenv("HOME");
    return BuildIdentity{.home = home != nullptr ? home : "/nonexistent"};
  }
  if (build_user.empty()) {
    if (allow_root == AllowRoot::no) {
      return make_error(ErrorKind::invalid_argument,
                        "build_user: the runner is root and no build user is set; refusing to run Buildah as "
                        "root (set build_user, or pass --allow-root)");
    }
    return BuildIdentity{.home = "/root"};
  }
  auto user = lookup_user(build_user);
  if (!user) {
    return make_error(ErrorKind::invalid_argument, "build_user: " + user.error().message);
  }
  if (user->uid == 0 && allow_root == AllowRoot::no) {
    return make_error(ErrorKind::invalid_argument,
                      "build_user: " + build_user + " is root; pass --allow-root");
  }
  return BuildIdentity{.run_as = *user, .home = user->home.empty() ? "/nonexistent" : user->home};
}

Status give_to_build_user(const BuildIdentity& identity, const std::string& path, bool recursive) {
  if (!identity.run_as) {
    return {};
  }
  namespace fs = std::filesystem;
  auto own = [&](const fs::path& p) -> Status {
    if (::lchown(p.c_str(), identity.run_as->uid, identity.run_as->gid) != 0) {
      return make_error(ErrorKind::internal,
                        "chown " + p.string() + " to " + identity.run_as->name + " failed");
    }
    return {};
  };
  if (auto s = own(path); !s) {
    return s;
  }
  if (!recursive) {
    return {};
  }
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (auto s = own(it->path()); !s) {
      return s;
    }
  }
  if (ec) {
    return make_error(ErrorKind::internal, "chown " + path + ": " + ec.message());
  }
  return {};
}

}  // namespace nbs::runner
