// The exact grammars of the values a job request carries. Each check returns nullopt when the text is
// valid, or the reason it is not (lower case, no field name: the caller adds the field's path).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace nbs::grammar {

using Reason = std::optional<std::string>;

// Printable text on one line: no control characters (tab allowed), no invalid UTF-8.
Reason single_line(std::string_view s);
// Like single_line, but newlines allowed (scripts, certificates in env values).
Reason multi_line(std::string_view s);

// owner: [A-Za-z0-9][A-Za-z0-9._@+-]{0,127}
Reason owner(std::string_view s);
// https, http, ssh, git or file URL, or scp-like user@host:path; no password or token in the URL.
Reason repo_url(std::string_view s);
// git check-ref-format rules (as a branch or tag name, or a full refs/ name), or a 7–40 hex commit id.
Reason git_ref(std::string_view s);
// A path relative to the repository root that stays inside it: no leading '/', no '..' component.
Reason relative_path(std::string_view s);
// A Vault KV path: segments of [A-Za-z0-9_.-], separated by '/', no '..' segment, no leading '/'.
Reason vault_path(std::string_view s);
// A Vault secret field name: [A-Za-z0-9_.-]{1,128}.
Reason vault_field(std::string_view s);
// Environment variable and build argument names: [A-Za-z_][A-Za-z0-9_]{0,255}.
Reason env_name(std::string_view s);
// A secret build argument's name: an env_name Buildah does not read for itself, since the runner hands
// the value to Buildah through its environment (`--build-arg NAME` without a value), never its argv.
Reason secret_build_arg_name(std::string_view s);
// OCI/distribution tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
Reason image_tag(std::string_view s);
// OCI/distribution repository path: components [a-z0-9]+(([._]|__|-+)[a-z0-9]+)* joined by '/'.
Reason repository_path(std::string_view s);
// A registry host: DNS name or IPv4 or [IPv6], optional :port.
Reason registry_host(std::string_view s);
// host[:port][/repository/path], no scheme.
Reason registry_url(std::string_view s);
// A repository for Buildah's layer cache: host[:port]/path, no scheme, tag or digest.
Reason cache_repository(std::string_view s);
// A Dockerfile stage name: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}.
Reason build_target(std::string_view s);
// A build secret's or SSH key's id: [A-Za-z0-9][A-Za-z0-9_.-]{0,63} (no '/': it names a file).
Reason build_secret_id(std::string_view s);
// "file:<name>" or "vault:<path>#<field>" (build_secrets.hpp).
Reason build_secret_source(std::string_view s);
// An image label key: [A-Za-z0-9][A-Za-z0-9._/-]{0,127}, not one the service sets (image_labels.hpp).
Reason label_key(std::string_view s);
// A Linux platform an OCI image index names: linux/amd64, linux/arm64, linux/arm/v7, ...
Reason platform(std::string_view s);
// A file a test task leaves behind for test.reports: absolute, no '.' or '..' component.
Reason report_path(std::string_view s);
// An http or https URL with a host and no credentials.
Reason webhook_url(std::string_view s);
// An HTTP header name (RFC 9110 token) that the service does not set itself.
Reason webhook_header_name(std::string_view s);
// A Nomad constraint attribute: ${attr.x}, ${node.x}, ${meta.x}.
Reason constraint_attribute(std::string_view s);
// A Nomad constraint operator.
Reason constraint_operand(std::string_view s);

// "30m", "90s", "1h30m", "2h", or a whole number of seconds ("600"). Errors say why.
Result<std::chrono::seconds> parse_duration(std::string_view s);
std::string format_duration(std::chrono::seconds d);

}  // namespace nbs::grammar
