// Containers' "simple signing" of published tags (request.sign): a GPG-signed JSON claim that a
// reference ("host/repo:tag") names a manifest digest, stored in a lookaside directory the way
// containers/image (skopeo, podman, buildah) reads it, so that a policy.json `signedBy` rule accepts
// the tag. The registry itself (docker-registry) has no signature API, hence the lookaside.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/process.hpp"

namespace nbs::runner {

// "nbs-runner <version>": the payload's creator.
std::string signature_creator();

// The signed claim, exactly the fields containers/image requires ("critical": identity, image, type)
// plus the optional creator and time.
std::string signature_payload(std::string_view docker_reference, std::string_view manifest_digest,
                              std::string_view creator, std::int64_t timestamp);

// `<store>/<repository>@sha256=<hex>`: where containers/image looks for the signatures of `digest` in
// `repository` (the path without the registry host) under a `lookaside: file://<store>` entry.
// Fails unless `digest` is "sha256:<64 hex>" and `repository` is a plain relative path.
Result<std::filesystem::path> lookaside_dir(const std::filesystem::path& store, std::string_view repository,
                                            std::string_view digest);

// The first "signature-N" (N from 1) absent from `dir`: readers stop at the first gap, so numbers
// stay contiguous.
std::filesystem::path next_signature_file(const std::filesystem::path& dir);

// The fingerprint of the first secret key in `gpg --with-colons --list-secret-keys` output.
std::optional<std::string> first_secret_fingerprint(std::string_view colons);

// gpg command lines, all batch mode with an explicit home (no user keyring is ever touched).
std::vector<std::string> gpg_import_argv(const std::string& home, const std::string& key_file);
std::vector<std::string> gpg_list_secret_keys_argv(const std::string& home);
std::vector<std::string> gpg_sign_argv(const std::string& home, const std::string& fingerprint,
                                       const std::string& payload_file, const std::string& output_file);
std::vector<std::string> gpgconf_kill_argv(const std::string& home);

// A private GNUPGHOME holding the job's signing key, for the length of a publish. Removed, and its
// gpg-agent stopped, when the signer goes.
class ImageSigner {
 public:
  // Imports `key_file` into a new 0700 home under `parent` (kept short: gpg-agent's socket lives in
  // it). Fails when the file holds no secret key, or gpg is missing. `creator` goes into each payload.
  static Result<ImageSigner> open(const std::string& key_file, const std::filesystem::path& parent,
                                  std::string creator, const RunOptions& options);

  ImageSigner() = default;
  ImageSigner(ImageSigner&& other) noexcept;
  ImageSigner& operator=(ImageSigner&&) = delete;
  ImageSigner(const ImageSigner&) = delete;
  ImageSigner& operator=(const ImageSigner&) = delete;
  ~ImageSigner();

  const std::string& fingerprint() const { return fingerprint_; }

  // Signs the claim "`reference` is `digest`" and stores it under `store` as the next signature of
  // `digest` in `repository`; returns the file written.
  Result<std::filesystem::path> sign(const std::filesystem::path& store, std::string_view reference,
                                     std::string_view repository, std::string_view digest,
                                     std::int64_t timestamp, const RunOptions& options) const;

 private:
  std::string home_;  // empty: nothing to remove
  std::string fingerprint_;
  std::string creator_;
};

}  // namespace nbs::runner
