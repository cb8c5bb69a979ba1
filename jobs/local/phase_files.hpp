// The files and processes of a local phase directory: files written whole and readable only by their
// owner (a phase's files hold its request, secret build args and test env values), directories only the
// owner may enter, and whether a task's process still lives.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include <boost/json/value.hpp>

#include "common/error.hpp"
#include "common/job_request.hpp"
#include "common/process.hpp"

namespace nbs::jobs {

// Written whole or not at all (a temporary file renamed), mode 0600, owned by `owner` when given.
bool write_private_file(const std::filesystem::path& path, const std::string& content,
                        const std::optional<UserIdentity>& owner = std::nullopt);

// Created if absent, mode 0700, owned by `owner` when given.
bool make_private_dir(const std::filesystem::path& dir, const std::optional<UserIdentity>& owner);

std::optional<std::string> read_file(const std::filesystem::path& path);

// The directory of a build phase holding copies of its build secrets for the runner (and of a publish
// phase holding the signing key); removed as soon as the phase has ended.
inline constexpr std::string_view k_build_secrets_dir = "build-secrets";

bool has_build_secrets(const JobRequest& request);

// Copies the file of each "file:<name>" source of request.build (under `from`) into `to`, named as the
// runner looks for it (build_secrets.hpp), readable only by `owner`.
Status copy_build_secrets(const JobRequest& request, const std::filesystem::path& from,
                          const std::filesystem::path& to, const std::optional<UserIdentity>& owner);

// Copies the file sign.key_ref names (a "file:<name>" under `from`) into `to` as k_signing_key_file,
// readable only by `owner`; returns the copy's path.
Result<std::filesystem::path> copy_signing_key(const JobRequest& request, const std::filesystem::path& from,
                                               const std::filesystem::path& to,
                                               const std::optional<UserIdentity>& owner);

// A zombie counts as dead: without an init that reaps orphans (containers), killed tasks stay zombies.
bool process_alive(pid_t pid);

// The strings of a JSON array; anything else reads as none.
std::vector<std::string> to_strings(const boost::json::value& v);

}  // namespace nbs::jobs
