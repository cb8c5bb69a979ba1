#include "runner/git_support.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "common/text.hpp"

namespace nbs::runner {
namespace {

constexpr std::string_view k_default_token_user = "x-access-token";

Result<std::string> read_secret_file(const std::string& path, std::string_view field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorKind::invalid_argument, std::string(field) + ": cannot read " + path);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int acquire_credential(git_credential** out, const char* /*url*/, const char* username_from_url,
                       unsigned int allowed, void* payload) {
  const auto* control = static_cast<const GitControl*>(payload);
  const GitCredentials* c = control->credentials;
  if (c == nullptr) {
    return GIT_PASSTHROUGH;
  }
  // libgit2 asks again after a rejected credential; giving up after a few keeps that from looping.
  if (++control->credential_attempts > 3) {
    git_error_set_str(GIT_ERROR_NET, "authentication failed with the configured credentials");
    return GIT_EAUTH;
  }
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) != 0 && !c->token.empty()) {
    return git_credential_userpass_plaintext_new(out, c->username.c_str(), c->token.c_str());
  }
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) != 0 && !c->ssh_key_file.empty()) {
    const char* user = username_from_url != nullptr ? username_from_url : "git";
    return git_credential_ssh_key_new(out, user, nullptr, c->ssh_key_file.c_str(), nullptr);
  }
  if ((allowed & GIT_CREDENTIAL_USERNAME) != 0) {
    return git_credential_username_new(out, username_from_url != nullptr ? username_from_url : "git");
  }
  return GIT_PASSTHROUGH;
}

int transfer_progress(const git_indexer_progress* /*stats*/, void* payload) {
  return static_cast<const GitControl*>(payload)->should_cancel() ? -1 : 0;
}

int sideband_progress(const char* /*text*/, int /*len*/, void* payload) {
  return static_cast<const GitControl*>(payload)->should_cancel() ? -1 : 0;
}

// HTTPS certificates keep libgit2's own verification. SSH host keys are accepted: libgit2 1.5 has no
// known_hosts support (see runner/README.md).
int check_certificate(git_cert* cert, int valid, const char* /*host*/, void* /*payload*/) {
  if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
    return 0;
  }
  return valid != 0 ? 0 : GIT_PASSTHROUGH;
}

}  // namespace

Result<GitCredentials> load_git_credentials(const RunnerCredentials& files) {
  GitCredentials c;
  c.username = files.git_username.empty() ? std::string(k_default_token_user) : files.git_username;
  if (!files.git_token_file.empty()) {
    auto token = read_secret_file(files.git_token_file, "credentials.git_token_file");
    if (!token) {
      return token.error();
    }
    c.token = std::string(trim(*token));
    if (c.token.empty()) {
      return make_error(ErrorKind::invalid_argument, "credentials.git_token_file: the file is empty");
    }
  }
  if (!files.git_ssh_key_file.empty()) {
    auto key = read_secret_file(files.git_ssh_key_file, "credentials.git_ssh_key_file");
    if (!key) {
      return key.error();
    }
    c.ssh_key_file = files.git_ssh_key_file;
    c.ssh_key = *key;
  }
  return c;
}

bool GitControl::should_cancel() const {
  if (stop != nullptr && stop->requested()) {
    return true;
  }
  return deadline && std::chrono::steady_clock::now() >= *deadline;
}

git_remote_callbacks make_remote_callbacks(const GitControl& control) {
  git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
  cb.credentials = acquire_credential;
  cb.transfer_progress = transfer_progress;
  cb.sideband_progress = sideband_progress;
  cb.certificate_check = check_certificate;
  cb.payload = const_cast<GitControl*>(&control);
  return cb;
}

Error git_failure(std::string_view what, int code, const GitControl* control) {
  if (control != nullptr && control->should_cancel()) {
    bool stopped = control->stop != nullptr && control->stop->requested();
    return make_error(stopped ? ErrorKind::unavailable : ErrorKind::timeout,
                      std::string(what) + (stopped ? ": stopped" : ": deadline passed"));
  }
  const git_error* e = git_error_last();
  std::string message = e != nullptr && e->message != nullptr ? e->message : "error " + std::to_string(code);
  auto kind = code == GIT_ENOTFOUND ? ErrorKind::not_found
              : code == GIT_EAUTH   ? ErrorKind::unauthorized
                                    : ErrorKind::unavailable;
  return make_error(kind, std::string(what) + ": " + message);
}

}  // namespace nbs::runner
