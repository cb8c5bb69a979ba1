#include "runner/doctor.hpp"

#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/process.hpp"
#include "runner/platforms.hpp"

namespace nbs::runner {
namespace {

constexpr long k_cgroup2_magic = 0x63677270;

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

DoctorCheck tool_check(const std::string& name, const std::string& program, CheckLevel missing,
                       std::string fix) {
  auto r = capture_process(Command{.argv = {program, "--version"}});
  if (!r || !r->status.success()) {
    return {name, missing, program + " not found or not working", std::move(fix)};
  }
  return {name, CheckLevel::ok, first_line(r->out), ""};
}

DoctorCheck subid_check(const std::string& file, const std::optional<UserIdentity>& user) {
  if (!user) {
    return {file, CheckLevel::fail, "no build user", "create it: scripts/setup-build-user"};
  }
  auto count = subordinate_range(read_text(file), user->name, user->uid);
  if (count < 65536) {
    return {file, CheckLevel::fail, "no range of at least 65536 ids for " + user->name,
            "add a line '" + user->name + ":100000:65536' (Debian's useradd adds it itself)"};
  }
  return {file, CheckLevel::ok, user->name + " has " + std::to_string(count) + " subordinate ids", ""};
}

DoctorCheck setuid_check(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return {path, CheckLevel::fail, "missing", "apt-get install uidmap"};
  }
  if ((st.st_mode & S_ISUID) == 0 || st.st_uid != 0) {
    return {path, CheckLevel::fail, "not setuid root: rootless Buildah falls back to a single id mapping",
            "chmod u+s " + path};
  }
  return {path, CheckLevel::ok, "setuid root", ""};
}

DoctorCheck cache_check(const DoctorOptions& o, const std::optional<UserIdentity>& user) {
  Command test{.argv = {"/usr/bin/test", "-w", o.cache_dir, "-a", "-x", o.cache_dir}, .run_as = user};
  auto r = capture_process(test);
  std::string who = user ? user->name : "the current user";
  if (!r || !r->status.success()) {
    return {"cache dir", CheckLevel::fail, o.cache_dir + " is not writable by " + who,
            "mkdir -p " + o.cache_dir + " && chown " + (user ? user->name : std::string("$USER")) + " " +
                o.cache_dir};
  }
  return {"cache dir", CheckLevel::ok, o.cache_dir + " is writable by " + who, ""};
}

DoctorCheck userns_check(const DoctorOptions& o, const std::optional<UserIdentity>& user) {
  Command c{.argv = {o.buildah, "unshare", "cat", "/proc/self/uid_map"},
            .env = std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/nonexistent"},
            .working_dir = "/",
            .run_as = user};
  auto r = capture_process(c);
  if (!r || !r->status.success()) {
    return {"user namespace", CheckLevel::fail,
            "buildah unshare failed: " + (r ? first_line(r->err) : r.error().message),
            "check /etc/subuid, /etc/subgid and newuidmap (above)"};
  }
  std::istringstream lines(r->out);
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    n += line.empty() ? 0 : 1;
  }
  if (n < 2 && user) {
    return {"user namespace", CheckLevel::fail, "only a single id is mapped: RUN steps will fail",
            "give the build user a subuid/subgid range and make newuidmap setuid"};
  }
  return {"user namespace", CheckLevel::ok, std::to_string(n) + " uid ranges mapped", ""};
}

DoctorCheck cgroup_check() {
  struct statfs fs {};
  std::string mode = "unknown";
  if (::statfs("/sys/fs/cgroup", &fs) == 0) {
    mode = fs.f_type == k_cgroup2_magic                    ? "v2 (unified)"
           : ::access("/sys/fs/cgroup/unified", F_OK) == 0 ? "v1 hybrid"
                                                           : "v1";
  }
  return {"cgroups", CheckLevel::ok, mode + "; builds use --isolation chroot, which needs no cgroup set-up",
          ""};
}

DoctorCheck fuse_check() {
  struct stat st {};
  if (::stat("/dev/fuse", &st) == 0 && (st.st_mode & S_IWOTH) != 0) {
    return {"/dev/fuse", CheckLevel::ok, "usable by everyone (fuse-overlayfs possible)", ""};
  }
  return {"/dev/fuse", CheckLevel::warn,
          "missing or not world-writable: rootless fuse-overlayfs will not work; native overlay and vfs do",
          "only if fuse-overlayfs is wanted: chmod 666 /dev/fuse"};
}

}  // namespace

unsigned long subordinate_range(const std::string& file_text, const std::string& user, unsigned uid) {
  unsigned long best = 0;
  std::istringstream in(file_text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string name, start, count;
    if (!std::getline(fields, name, ':') || !std::getline(fields, start, ':') ||
        !std::getline(fields, count)) {
      continue;
    }
    if (name != user && name != std::to_string(uid)) {
      continue;
    }
    try {
      best = std::max(best, std::stoul(count));
    } catch (const std::exception&) {
    }
  }
  return best;
}

std::vector<DoctorCheck> run_doctor(const DoctorOptions& o) {
  std::vector<DoctorCheck> checks;
  checks.push_back(tool_check("buildah", o.buildah, CheckLevel::fail, "apt-get install buildah"));
  checks.push_back(tool_check("podman", o.podman, CheckLevel::warn,
                              "apt-get install podman (needed by `run` tests only)"));
  struct utsname u {};
  ::uname(&u);
  checks.push_back({"kernel", CheckLevel::ok, std::string(u.release), ""});
  std::optional<UserIdentity> user;
  if (::geteuid() == 0) {
    auto found = lookup_user(o.build_user);
    if (!found) {
      checks.push_back({"build user", CheckLevel::fail, o.build_user + " does not exist",
                        "scripts/setup-build-user " + o.build_user});
    } else {
      user = *found;
      checks.push_back(
          {"build user", CheckLevel::ok, o.build_user + " (uid " + std::to_string(user->uid) + ")", ""});
    }
    checks.push_back(subid_check("/etc/subuid", user));
    checks.push_back(subid_check("/etc/subgid", user));
  } else {
    checks.push_back({"build user", CheckLevel::ok, "not root: Buildah runs as the current user", ""});
  }
  checks.push_back(setuid_check("/usr/bin/newuidmap"));
  checks.push_back(setuid_check("/usr/bin/newgidmap"));
  checks.push_back(cache_check(o, user));
  checks.push_back(userns_check(o, user));
  checks.push_back(cgroup_check());
  checks.push_back(fuse_check());
  const NodePlatforms platforms = node_platforms();
  checks.push_back({"platforms", CheckLevel::ok,
                    platforms.describe() +
                        (platforms.emulated.empty()
                             ? "; no binfmt_misc/qemu-user entry, so RUN steps of other platforms cannot run "
                               "(Dockerfiles without RUN build for any platform)"
                             : "; Dockerfiles without RUN build for any platform"),
                    ""});
  return checks;
}

std::string format_doctor_report(const std::vector<DoctorCheck>& checks) {
  std::string out;
  for (const auto& c : checks) {
    const char* tag = c.level == CheckLevel::ok     ? "[ ok ] "
                      : c.level == CheckLevel::warn ? "[warn] "
                                                    : "[FAIL] ";
    out += tag + c.name + ": " + c.detail + "\n";
    if (!c.fix.empty()) {
      out += "       fix: " + c.fix + "\n";
    }
  }
  out += build_can_run(checks) ? "a build can run on this node\n" : "a build cannot run on this node\n";
  return out;
}

bool build_can_run(const std::vector<DoctorCheck>& checks) {
  for (const auto& c : checks) {
    if (c.level == CheckLevel::fail) {
      return false;
    }
  }
  return true;
}

}  // namespace nbs::runner
