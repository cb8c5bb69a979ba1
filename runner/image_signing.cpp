#include "runner/image_signing.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "common/fd.hpp"

namespace nbs::runner {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

bool is_sha256_digest(std::string_view d) {
  constexpr std::string_view prefix = "sha256:";
  if (!d.starts_with(prefix) || d.size() != prefix.size() + 64) {
    return false;
  }
  return d.substr(prefix.size()).find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// A registry repository path: lower-case components split by single slashes, none of them "." or "..",
// so that it can never leave the store.
bool is_repository_path(std::string_view r) {
  if (r.empty() || r.front() == '/' || r.back() == '/' ||
      r.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-/") != std::string_view::npos) {
    return false;
  }
  std::size_t start = 0;
  while (start <= r.size()) {
    const std::size_t end = std::min(r.find('/', start), r.size());
    const std::string_view part = r.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return false;
    }
    start = end + 1;
  }
  return true;
}

// gpg with nothing of the caller's environment but PATH: GNUPGHOME points at the job's own keyring.
Command gpg_command(std::vector<std::string> argv, const std::string& home) {
  const char* path = std::getenv("PATH");
  return Command{
      .argv = std::move(argv),
      .env = std::vector<std::string>{std::string("PATH=") + (path != nullptr ? path : "/usr/bin:/bin"),
                                      "GNUPGHOME=" + home, "LANG=C"}};
}

Result<Captured> run_gpg(const std::vector<std::string>& argv, const std::string& home,
                         const RunOptions& options, std::string_view what) {
  auto run = capture_process(gpg_command(argv, home), options);
  if (!run) {
    return make_error(ErrorKind::unavailable,
                      std::string(what) + ": cannot run " + argv.front() + ": " + run.error().message);
  }
  if (!run->status.success()) {
    std::string err = run->err;
    while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) {
      err.pop_back();
    }
    return make_error(ErrorKind::invalid_argument, std::string(what) + ": " + argv.front() + " failed (" +
                                                       run->status.describe() + ")" +
                                                       (err.empty() ? "" : ": " + err));
  }
  return run;
}

std::optional<std::string> read_whole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Written to a temporary name first, then hard-linked to the first free signature-N: the link fails
// when another publish took that number meanwhile (then the next one is tried), and a reader never sees
// a half-written signature.
Result<fs::path> store_signature(const fs::path& dir, const std::string& signature) {
  std::string tmp = (dir / ".signature-XXXXXX").string();
  Fd fd(::mkstemp(tmp.data()));
  if (!fd) {
    return make_error(ErrorKind::unavailable, "cannot create a file in " + dir.string());
  }
  // Consumers (skopeo, podman) read the store as other users: signatures are public.
  const bool written =
      ::fchmod(fd.get(), 0644) == 0 && write_all(fd.get(), signature) && ::fsync(fd.get()) == 0;
  fd = Fd();
  Result<fs::path> out = make_error(ErrorKind::unavailable, "cannot write a signature in " + dir.string());
  if (written) {
    for (int tries = 0; tries < 1000; ++tries) {
      const fs::path target = next_signature_file(dir);
      if (::link(tmp.c_str(), target.c_str()) == 0) {
        out = target;
        break;
      }
      if (errno != EEXIST) {
        break;
      }
    }
  }
  ::unlink(tmp.c_str());
  return out;
}

}  // namespace

std::string signature_creator() {
#ifdef NBS_VERSION
  return std::string("nbs-runner ") + NBS_VERSION;
#else
  return "nbs-runner";
#endif
}

std::string signature_payload(std::string_view docker_reference, std::string_view manifest_digest,
                              std::string_view creator, std::int64_t timestamp) {
  json::object critical{{"identity", json::object{{"docker-reference", docker_reference}}},
                        {"image", json::object{{"docker-manifest-digest", manifest_digest}}},
                        {"type", "atomic container signature"}};
  json::object optional{{"creator", creator}, {"timestamp", timestamp}};
  return json::serialize(json::object{{"critical", std::move(critical)}, {"optional", std::move(optional)}});
}

Result<fs::path> lookaside_dir(const fs::path& store, std::string_view repository, std::string_view digest) {
  if (!is_sha256_digest(digest)) {
    return make_error(ErrorKind::invalid_argument,
                      "signing: " + std::string(digest) + " is no sha256 digest");
  }
  if (!is_repository_path(repository)) {
    return make_error(ErrorKind::invalid_argument,
                      "signing: " + std::string(repository) + " is no repository path");
  }
  // containers/image's lookaside layout: "<repo>@<algorithm>=<hex>", the digest's colon replaced.
  return store / (std::string(repository) + "@sha256=" + std::string(digest.substr(7)));
}

fs::path next_signature_file(const fs::path& dir) {
  for (int n = 1;; ++n) {
    fs::path file = dir / ("signature-" + std::to_string(n));
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(file, ec))) {
      return file;
    }
  }
}

std::optional<std::string> first_secret_fingerprint(std::string_view colons) {
  bool in_secret_key = false;
  std::size_t start = 0;
  while (start < colons.size()) {
    const std::size_t end = std::min(colons.find('\n', start), colons.size());
    const std::string_view line = colons.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("sec:")) {
      in_secret_key = true;
    } else if (in_secret_key && line.starts_with("fpr:")) {
      // fpr:::::::::<fingerprint>: the tenth field.
      std::size_t field_start = 0;
      for (int i = 0; i < 9 && field_start != std::string_view::npos; ++i) {
        field_start = line.find(':', field_start);
        field_start = field_start == std::string_view::npos ? field_start : field_start + 1;
      }
      if (field_start == std::string_view::npos) {
        return std::nullopt;
      }
      const std::string_view fpr = line.substr(field_start, line.find(':', field_start) - field_start);
      return fpr.empty() ? std::nullopt : std::optional<std::string>(fpr);
    }
  }
  return std::nullopt;
}

std::vector<std::string> gpg_import_argv(const std::string& home, const std::string& key_file) {
  return {"gpg", "--homedir", home, "--batch", "--no-tty", "--import", key_file};
}

std::vector<std::string> gpg_list_secret_keys_argv(const std::string& home) {
  return {"gpg", "--homedir", home, "--batch", "--no-tty", "--with-colons", "--list-secret-keys"};
}

std::vector<std::string> gpg_sign_argv(const std::string& home, const std::string& fingerprint,
                                       const std::string& payload_file, const std::string& output_file) {
  // Loopback pinentry: a key with a passphrase fails at once instead of waiting for a pinentry that
  // nobody answers.
  return {"gpg",   "--homedir",    home,        "--batch",  "--no-tty",  "--pinentry-mode", "loopback",
          "--yes", "--local-user", fingerprint, "--output", output_file, "--sign",          payload_file};
}

std::vector<std::string> gpgconf_kill_argv(const std::string& home) {
  return {"gpgconf", "--homedir", home, "--kill", "all"};
}

Result<ImageSigner> ImageSigner::open(const std::string& key_file, const fs::path& parent,
                                      std::string creator, const RunOptions& options) {
  std::string pattern = (parent / "nbs-gpg-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {  // mkdtemp makes it 0700
    return make_error(ErrorKind::unavailable, "signing: cannot create a directory in " + parent.string());
  }
  ImageSigner signer;
  signer.home_ = pattern;
  signer.creator_ = std::move(creator);
  if (auto imported = run_gpg(gpg_import_argv(signer.home_, key_file), signer.home_, options,
                              "sign.key_ref: importing the key");
      !imported) {
    return imported.error();
  }
  auto listed = run_gpg(gpg_list_secret_keys_argv(signer.home_), signer.home_, options,
                        "sign.key_ref: listing the key");
  if (!listed) {
    return listed.error();
  }
  auto fingerprint = first_secret_fingerprint(listed->out);
  if (!fingerprint) {
    return make_error(ErrorKind::invalid_argument,
                      "sign.key_ref: the key holds no secret key (a public key cannot sign)");
  }
  signer.fingerprint_ = std::move(*fingerprint);
  return signer;
}

ImageSigner::ImageSigner(ImageSigner&& other) noexcept
    : home_(std::exchange(other.home_, {})),
      fingerprint_(std::move(other.fingerprint_)),
      creator_(std::move(other.creator_)) {}

ImageSigner::~ImageSigner() {
  if (home_.empty()) {
    return;
  }
  // Import and signing start a gpg-agent for this home; it would outlive the phase otherwise.
  (void)capture_process(gpg_command(gpgconf_kill_argv(home_), home_),
                        RunOptions{.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10)});
  std::error_code ec;
  fs::remove_all(home_, ec);
}

Result<fs::path> ImageSigner::sign(const fs::path& store, std::string_view reference,
                                   std::string_view repository, std::string_view digest,
                                   std::int64_t timestamp, const RunOptions& options) const {
  auto dir = lookaside_dir(store, repository, digest);
  if (!dir) {
    return dir.error();
  }
  const fs::path payload = fs::path(home_) / "payload.json";
  const fs::path signed_file = fs::path(home_) / "payload.sig";
  {
    std::ofstream out(payload, std::ios::binary | std::ios::trunc);
    out << signature_payload(reference, digest, creator_, timestamp);
    if (!out.flush()) {
      return make_error(ErrorKind::unavailable, "signing: cannot write " + payload.string());
    }
  }
  if (auto signed_run = run_gpg(gpg_sign_argv(home_, fingerprint_, payload.string(), signed_file.string()),
                                home_, options, "signing " + std::string(reference));
      !signed_run) {
    return signed_run.error();
  }
  auto signature = read_whole(signed_file);
  if (!signature || signature->empty()) {
    return make_error(ErrorKind::internal, "signing " + std::string(reference) + ": gpg wrote no signature");
  }
  std::error_code ec;
  fs::create_directories(*dir, ec);
  if (ec) {
    return make_error(ErrorKind::unavailable,
                      "signing: cannot create " + dir->string() + ": " + ec.message());
  }
  return store_signature(*dir, *signature);
}

}  // namespace nbs::runner
