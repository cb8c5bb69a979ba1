#include "runner/build_secrets.hpp"

#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include "common/build_secrets.hpp"
#include "common/fd.hpp"

namespace nbs::runner {

namespace fs = std::filesystem;

namespace {

// Buildah reads a secret whole into memory; a file this large is a mistake, not a secret.
constexpr std::uintmax_t k_max_secret_bytes = std::uintmax_t{512} * 1024;

Result<std::string> read_secret(const fs::path& file, const std::string& field) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) {
    return make_error(ErrorKind::invalid_argument,
                      field + ": the secret's file " + file.string() + " is missing (" + ec.message() + ")");
  }
  if (size > k_max_secret_bytes) {
    return make_error(ErrorKind::invalid_argument, field + ": the secret is " + std::to_string(size) +
                                                       " bytes, more than the 512 KiB allowed");
  }
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    return make_error(ErrorKind::invalid_argument, field + ": cannot read " + file.string());
  }
  std::string content(size, '\0');
  std::size_t got = 0;
  while (got < content.size()) {
    const ssize_t n = ::read(fd.get(), content.data() + got, content.size() - got);
    if (n <= 0) {
      return make_error(ErrorKind::invalid_argument, field + ": cannot read " + file.string());
    }
    got += static_cast<std::size_t>(n);
  }
  return content;
}

// Mode 0400 from the start: no moment in which another user could open it.
Status write_secret(const fs::path& file, const std::string& content) {
  Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400));
  if (!fd || !write_all(fd.get(), content)) {
    return make_error(ErrorKind::internal, "cannot write " + file.string());
  }
  return {};
}

// Buildah listens for the SSH agent on a socket under TMPDIR, and a unix socket's path has at most 107
// bytes: under a work directory as deep as a Nomad allocation's the bind fails ("invalid argument").
// A symbolic link from a short private directory in /tmp to Buildah's TMPDIR keeps the socket's path
// short and the large temporary files where they were.
Result<std::string> short_path_to(const std::string& target, const BuildIdentity& identity,
                                  std::string& made) {
  std::string pattern = "/tmp/nbs-ssh-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return make_error(ErrorKind::internal, "cannot create a directory in /tmp for Buildah's SSH agent");
  }
  made = pattern;
  const std::string link = pattern + "/t";
  std::error_code ec;
  fs::create_directory_symlink(target, link, ec);
  if (ec) {
    return make_error(ErrorKind::internal, "cannot link " + link + " to " + target + ": " + ec.message());
  }
  if (auto given = give_to_build_user(identity, pattern, true); !given) {
    return given.error();
  }
  return link;
}

}  // namespace

Result<StagedBuildSecrets> StagedBuildSecrets::stage(const RunnerSpec& spec, const BuildIdentity& identity,
                                                     const std::string& dir, const std::string& buildah_tmp,
                                                     PhaseLogWriter& log) {
  StagedBuildSecrets staged;
  const auto entries = build_secret_entries(spec.request);
  if (entries.empty()) {
    return staged;
  }
  const std::string& from = spec.credentials.build_secrets_dir;
  if (from.empty()) {
    return make_error(
        ErrorKind::invalid_argument,
        "credentials.build_secrets_dir: the request has build secrets, and the spec says not where "
        "they are");
  }
  std::error_code ec;
  fs::remove_all(dir, ec);  // a copy a killed runner left behind
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return make_error(ErrorKind::internal, "cannot create " + dir);
  }
  staged.dir_ = dir;
  for (const auto& entry : entries) {
    auto content = read_secret(fs::path(from) / entry.file_name(), entry.field);
    if (!content) {
      return content.error();
    }
    log.add_secret(*content);
    const fs::path target = fs::path(dir) / entry.file_name();
    if (auto written = write_secret(target, *content); !written) {
      return written.error();
    }
    (entry.ssh ? staged.ssh_ : staged.secrets_)[entry.secret->id] = target.string();
  }
  if (auto given = give_to_build_user(identity, dir, true); !given) {
    return given.error();
  }
  if (!staged.ssh_.empty()) {
    auto link = short_path_to(buildah_tmp, identity, staged.short_dir_);
    if (!link) {
      return link.error();
    }
    staged.ssh_tmp_dir_ = *link;
  }
  return staged;
}

StagedBuildSecrets::StagedBuildSecrets(StagedBuildSecrets&& other) noexcept
    : dir_(std::exchange(other.dir_, {})),
      short_dir_(std::exchange(other.short_dir_, {})),
      ssh_tmp_dir_(std::move(other.ssh_tmp_dir_)),
      secrets_(std::move(other.secrets_)),
      ssh_(std::move(other.ssh_)) {}

StagedBuildSecrets::~StagedBuildSecrets() {
  std::error_code ec;
  for (const auto& made : {dir_, short_dir_}) {
    if (!made.empty()) {
      fs::remove_all(made, ec);  // the link only, never what it points to
    }
  }
}

}  // namespace nbs::runner
