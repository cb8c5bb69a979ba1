// The job request: what an agent asks for ("build this Git ref into an image, test it, publish it").
// Every entry point (MCP, REST, CLI) parses into this one type through parse_job_request() in
// job_request_parser.hpp, which validates every field and applies every default, once.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nbs {

enum class Phase { build, test, publish, cleanup };
std::string_view to_string(Phase phase);
std::optional<Phase> parse_phase(std::string_view text);

// CPU in MHz, memory and disk in MB; unset fields fall back (see resolve_resources).
struct Resources {
  std::optional<int> cpu;
  std::optional<int> memory;
  std::optional<int> disk;

  friend bool operator==(const Resources&, const Resources&) = default;
};

// `resource_limits`: legacy global fields plus one block per phase.
struct ResourceLimits {
  std::optional<int> cpu;
  std::optional<int> memory;
  std::optional<int> disk;
  Resources build;
  Resources test;
  Resources publish;

  friend bool operator==(const ResourceLimits&, const ResourceLimits&) = default;
};

// A Vault KV v2 secret rendered into the test task's environment: field name → variable name.
struct VaultSecret {
  std::string path;
  std::map<std::string, std::string> fields;

  friend bool operator==(const VaultSecret&, const VaultSecret&) = default;
};

// A Nomad placement constraint for test tasks.
struct Constraint {
  std::string attribute;
  std::string operand = "=";
  std::string value;

  friend bool operator==(const Constraint&, const Constraint&) = default;
};

// A secret a RUN step mounts (`RUN --mount=type=secret,id=<id>`), or an SSH key a RUN step's agent
// holds (`RUN --mount=type=ssh,id=<id>`): never in the image, a log or the job's record. `source` is
// "file:<name>" (the local daemon's build_secrets_dir) or "vault:<path>#<field>" (Nomad), see
// build_secrets.hpp.
struct BuildSecret {
  std::string id;
  std::string source;

  friend bool operator==(const BuildSecret&, const BuildSecret&) = default;
};

struct BuildConfig {
  std::vector<BuildSecret> secrets;
  std::vector<BuildSecret> ssh;

  friend bool operator==(const BuildConfig&, const BuildConfig&) = default;
};

struct TestConfig {
  // Each runs as `/bin/sh -c <command>` in the built image with its ENTRYPOINT replaced (docs/tests.md).
  std::vector<std::string> commands;
  bool entry_point = false;  // also run the image's own ENTRYPOINT and CMD, unchanged; it must exit 0
  std::map<std::string, std::string> env;
  std::chrono::seconds timeout{std::chrono::minutes(15)};
  Resources resource_limits;  // beats resource_limits.test
  std::vector<VaultSecret> vault_secrets;
  int gpu_count = 0;
  std::vector<Constraint> constraints;
  // Files each test task leaves in its container (absolute paths), collected after it ends, with bounds;
  // JUnit XML is summarised in the job's status.
  std::vector<std::string> reports;

  friend bool operator==(const TestConfig&, const TestConfig&) = default;
};

// `cache`: a registry repository Buildah reads layers from (--cache-from) and writes them to (--cache-to),
// so that a build on a node whose own layer storage is cold still finds them.
struct CacheConfig {
  std::string registry_ref;  // host[:port]/path, no tag; empty: the default place (cache_repository)

  friend bool operator==(const CacheConfig&, const CacheConfig&) = default;
};

// `sign`: each published tag gets a simple signing signature (GPG) made with this key. `key_ref` is
// "file:<name>" (the local daemon's build_secrets_dir) or "vault:<path>#<field>" (Nomad), as a build
// secret's source: an ASCII-armoured or binary secret key without a passphrase.
struct SignConfig {
  std::string key_ref;

  friend bool operator==(const SignConfig&, const SignConfig&) = default;
};

struct JobRequest {
  std::string owner;
  std::string repo_url;
  std::string git_ref = "main";
  std::string git_credentials_path;  // Vault path; empty: public repository
  std::string dockerfile_path = "Dockerfile";
  std::string dockerfile_context = ".";
  std::string image_name;               // empty: the repository path of registry_url
  std::vector<std::string> image_tags;  // the user's tags; the job id is always added first
  std::string registry_url;             // host[:port][/path]
  std::string registry_credentials_path;
  std::map<std::string, std::string> build_args;
  // Keys of build_args whose values are secret: masked as *** in logs, status and records, kept off
  // command lines (secret_build_args.hpp).
  std::vector<std::string> secret_build_args;
  std::string target;
  // One platform: a plain image built for it. Several: one image each, published as an OCI image index
  // under every tag. Empty: the node's own platform.
  std::vector<std::string> platforms;
  // Image labels (and manifest annotations) besides the provenance ones (image_labels.hpp).
  std::map<std::string, std::string> labels;
  BuildConfig build;
  std::optional<TestConfig> test;
  ResourceLimits resource_limits;
  std::chrono::seconds build_timeout{std::chrono::minutes(30)};
  bool clear_cache = false;
  std::optional<CacheConfig> cache;  // absent: the daemon's build_cache_repository, if it has one
  std::optional<SignConfig> sign;
  std::string webhook_url;
  std::string webhook_secret;
  bool webhook_on_success = true;
  bool webhook_on_failure = true;
  std::map<std::string, std::string> webhook_headers;

  // True when a test phase runs (at least one command, or the entry point).
  bool has_tests() const;
  // True when build pushes to the temp image and a publish phase copies it to the final tags: with tests,
  // and with `sign` (signatures are made at publish, one per final tag; the temp tag never gets one).
  bool publishes_from_temp_image() const;

  friend bool operator==(const JobRequest&, const JobRequest&) = default;
};

// Where the image goes: "host[:port]" and the repository path inside it.
struct ImageTarget {
  std::string registry;    // "registry.example.com:5000"
  std::string repository;  // "team/app"

  std::string reference(std::string_view tag) const;  // "registry.example.com:5000/team/app:tag"
};

// registry_url + image_name, as validated by the parser (which guarantees a repository exists).
ImageTarget image_target(const JobRequest& request);

// The tags published: the job id first, then the user's tags (without a repeat of the id).
std::vector<std::string> final_image_tags(const JobRequest& request, std::string_view job_id);

// The repository a build uses as its shared layer cache, "" for none. `prefix` is the daemon's
// build_cache_repository ("" when unset). An explicit cache.registry_ref wins; otherwise a job with
// `cache` (or any job, when the daemon has a prefix) gets `<prefix>/<image path>`, or without a prefix
// `<registry>/<image path>/cache`: always under the job's own image path, which the registry already
// guards as the image's.
std::string cache_repository(const JobRequest& request, std::string_view prefix);

// Why cache.registry_ref is a place this job may not use, or nullopt. Allowed are the job's own image
// path on its registry (`<registry>/<image path>/...`, not the image repository itself, whose tags the
// cache's would mix with) and `<prefix>/<image path>[/...]`: another host could carry the build's layers
// (its sources, its build args) off, and another image's cache could be poisoned by this job.
std::optional<std::string> check_cache_place(const JobRequest& request, std::string_view prefix);

struct ResolvedResources {
  int cpu = 0;
  int memory = 0;
  int disk = 0;

  friend bool operator==(const ResolvedResources&, const ResolvedResources&) = default;
};

// Built-in per-phase defaults (build 1000/2048/10240, test and publish 500/1024/2048, cleanup
// 100/256/512); a daemon may configure others.
ResolvedResources default_resources(Phase phase);

// For each field: the phase block (for test, test.resource_limits first), then the legacy global
// field, then `defaults`.
ResolvedResources resolve_resources(const JobRequest& request, Phase phase, ResolvedResources defaults);

}  // namespace nbs
