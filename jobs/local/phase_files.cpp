#include "jobs/local/phase_files.hpp"

#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "common/build_secrets.hpp"
#include "common/fd.hpp"

namespace nbs::jobs {

namespace fs = std::filesystem;
namespace json = boost::json;

bool write_private_file(const fs::path& path, const std::string& content,
                        const std::optional<UserIdentity>& owner) {
  const fs::path tmp = fs::path(path).concat(".tmp");
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) {
    return false;
  }
  if (!write_all(fd.get(), content)) {
    return false;
  }
  if (owner && ::fchown(fd.get(), owner->uid, owner->gid) != 0) {
    return false;
  }
  fd.reset();
  std::error_code ec;
  fs::rename(tmp, path, ec);
  return !ec;
}

bool make_private_dir(const fs::path& dir, const std::optional<UserIdentity>& owner) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  return !ec && ::chmod(dir.c_str(), 0700) == 0 &&
         (!owner || ::chown(dir.c_str(), owner->uid, owner->gid) == 0);
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool has_build_secrets(const JobRequest& request) {
  return !request.build.secrets.empty() || !request.build.ssh.empty();
}

Status copy_build_secrets(const JobRequest& request, const fs::path& from, const fs::path& to,
                          const std::optional<UserIdentity>& owner) {
  if (!make_private_dir(to, owner)) {
    return make_error(ErrorKind::unavailable, "local executor: cannot create " + to.string());
  }
  for (const auto& entry : build_secret_entries(request)) {
    const auto source = parse_build_secret_source(entry.secret->source);
    if (!source || source->kind != BuildSecretSource::Kind::file) {
      return make_error(ErrorKind::invalid_argument,
                        "local executor: " + entry.field + " is no file of the build secrets directory");
    }
    auto content = read_file(from / source->name);
    if (!content || !write_private_file(to / entry.file_name(), *content, owner)) {
      return make_error(ErrorKind::unavailable, "local executor: cannot copy " + entry.field + " from " +
                                                    (from / source->name).string());
    }
  }
  return {};
}

Result<fs::path> copy_signing_key(const JobRequest& request, const fs::path& from, const fs::path& to,
                                  const std::optional<UserIdentity>& owner) {
  const auto source = request.sign ? parse_build_secret_source(request.sign->key_ref) : std::nullopt;
  if (!source || source->kind != BuildSecretSource::Kind::file) {
    return make_error(ErrorKind::invalid_argument,
                      "local executor: sign.key_ref is no file of the build secrets directory");
  }
  if (!make_private_dir(to, owner)) {
    return make_error(ErrorKind::unavailable, "local executor: cannot create " + to.string());
  }
  const fs::path copy = to / k_signing_key_file;
  auto content = read_file(from / source->name);
  if (!content || !write_private_file(copy, *content, owner)) {
    return make_error(ErrorKind::unavailable,
                      "local executor: cannot copy sign.key_ref from " + (from / source->name).string());
  }
  return copy;
}

bool process_alive(pid_t pid) {
  if (pid <= 0) {
    return false;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) {
    return false;
  }
  const std::size_t paren = line.rfind(')');  // the command name may contain spaces and parentheses
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z' &&
         line[paren + 2] != 'X';
}

std::vector<std::string> to_strings(const json::value& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& s : v.get_array()) {
      if (s.is_string()) {
        out.emplace_back(s.get_string());
      }
    }
  }
  return out;
}

}  // namespace nbs::jobs
