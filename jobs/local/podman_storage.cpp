#include "jobs/local/podman_storage.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "common/digest.hpp"
#include "common/text.hpp"
#include "jobs/local/phase_files.hpp"

namespace nbs::jobs {

namespace fs = std::filesystem;

namespace {

Error storage_error(const std::string& what) {
  return make_error(ErrorKind::unavailable, "local executor: podman storage: " + what);
}

std::string octal(unsigned mode) {
  std::string out;
  for (int shift = 9; shift >= 0; shift -= 3) {
    out += static_cast<char>('0' + ((mode >> shift) & 7));
  }
  return out;
}

// /tmp is everyone's: the directory must be a real one, its owner's alone, before anything goes in it.
Status check_private_dir(const fs::path& dir, uid_t owner) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return storage_error(dir.string() + " is not a directory");
  }
  if (st.st_uid != owner || (st.st_mode & 077) != 0) {
    return storage_error(dir.string() + " belongs to uid " + std::to_string(st.st_uid) + " with mode " +
                         octal(st.st_mode & 0777) + ", not to uid " + std::to_string(owner) +
                         " with mode 0700: remove it");
  }
  return {};
}

}  // namespace

std::vector<std::string> PodmanCommand::argv(std::initializer_list<std::string> rest) const {
  std::vector<std::string> out{program.string()};
  out.insert(out.end(), global_args.begin(), global_args.end());
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

Result<std::vector<std::string>> prepare_podman_storage(const fs::path& root, StorageDriver driver,
                                                        const std::optional<UserIdentity>& owner) {
  const uid_t uid = owner ? owner->uid : ::geteuid();
  const fs::path boot_dir = fs::path("/tmp") / ("nbs-podman-" + std::to_string(uid) + "-" +
                                                sha256_hex(root.string()).substr(0, 12));
  const fs::path run = boot_dir / "run", tmp = boot_dir / "tmp", boot_file = boot_dir / "boot_id";
  if (!make_private_dir(root, owner)) {
    return storage_error("cannot create " + root.string());
  }
  if (::mkdir(boot_dir.c_str(), 0700) == 0 && owner &&
      ::chown(boot_dir.c_str(), owner->uid, owner->gid) != 0) {
    return storage_error("cannot give " + boot_dir.string() + " to uid " + std::to_string(uid));
  }
  if (auto ours = check_private_dir(boot_dir, uid); !ours) {
    return ours.error();
  }
  const std::string boot(trim(read_file("/proc/sys/kernel/random/boot_id").value_or("")));
  if (trim(read_file(boot_file).value_or("")) != boot) {
    for (const auto& stale : {run, tmp}) {
      std::error_code ec;
      fs::remove_all(stale, ec);
      if (ec) {
        return storage_error("cannot empty " + stale.string() + ", left before a reboot: " + ec.message());
      }
    }
  }
  for (const auto& dir : {run, tmp}) {
    if (!make_private_dir(dir, owner)) {
      return storage_error("cannot create " + dir.string());
    }
  }
  if (!write_private_file(boot_file, boot + "\n", owner)) {
    return storage_error("cannot write " + boot_file.string());
  }
  return std::vector<std::string>{
      "--root",   root.string(), "--runroot",        run.string(),
      "--tmpdir", tmp.string(),  "--storage-driver", std::string(to_string(driver))};
}

}  // namespace nbs::jobs
