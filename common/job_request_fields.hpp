// The one definition of every job request field: name, type, grammar, bounds, default and the
// description an agent reads. Three visitors walk it: the parser (job_request_parser.cpp), the JSON
// Schema export (job_request_schema.cpp) and the serializer (job_request_json.cpp), so the three can
// never disagree about which fields exist.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

#include "common/grammar.hpp"
#include "common/job_request.hpp"

namespace nbs::fields {

using Check = grammar::Reason (*)(std::string_view);

struct StringRule {
  std::string_view description;
  Check check = nullptr;  // the grammar; nullptr: any single-line text
  std::size_t max_length = 1024;
  bool required = false;
  bool multi_line = false;
  std::string_view pattern = {};  // the grammar as a regular expression, for the schema only
};

struct IntRule {
  std::string_view description;
  int min = 0;
  int max = 0;
};

struct DurationRule {
  std::string_view description;
  std::chrono::seconds min{1};
  std::chrono::seconds max{std::chrono::hours(24)};
};

struct ListRule {
  std::string_view description;
  StringRule item;
  std::size_t max_items = 32;
  bool unique = false;
  bool accepts_single_string = false;  // "tag" is read as ["tag"] (older clients send that)
};

struct MapRule {
  std::string_view description;
  Check key = nullptr;
  std::string_view key_pattern;
  StringRule value;
  std::size_t max_entries = 64;
};

struct ObjectRule {
  std::string_view description;
  std::size_t max_items = 0;  // lists of objects only
};

// Old field names still accepted on input and mapped onto `test` after parsing.
struct LegacyAliases {
  std::optional<std::vector<std::string>> test_commands;
  std::optional<bool> test_entry_point;
};

inline constexpr IntRule k_cpu{"CPU in MHz.", 50, 256000};
inline constexpr IntRule k_memory{"Memory in MB.", 64, 1048576};
inline constexpr IntRule k_disk{"Ephemeral disk in MB.", 64, 10485760};

template <class V>
void describe(V& v, Resources& r) {
  v.integer("cpu", r.cpu, k_cpu);
  v.integer("memory", r.memory, k_memory);
  v.integer("disk", r.disk, k_disk);
}

template <class V>
void describe(V& v, ResourceLimits& r) {
  v.integer("cpu", r.cpu, IntRule{"CPU in MHz for every phase without its own value.", k_cpu.min, k_cpu.max});
  v.integer("memory", r.memory,
            IntRule{"Memory in MB for every phase without its own value.", k_memory.min, k_memory.max});
  v.integer("disk", r.disk,
            IntRule{"Disk in MB for every phase without its own value.", k_disk.min, k_disk.max});
  auto phase = [](auto& pv, Resources& x) { describe(pv, x); };
  v.object("build", r.build, ObjectRule{"Build phase resources (default cpu 1000, memory 2048, disk 10240)."},
           phase);
  v.object("test", r.test, ObjectRule{"Test phase resources (default cpu 500, memory 1024, disk 2048)."},
           phase);
  v.object("publish", r.publish,
           ObjectRule{"Publish phase resources (default cpu 500, memory 1024, disk 2048)."}, phase);
}

template <class V>
void describe(V& v, VaultSecret& s) {
  v.string("path", s.path,
           StringRule{"Vault KV v2 path of the secret, e.g. secret/data/myapp.", grammar::vault_path, 512,
                      true, false, "^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"});
  v.string_map(
      "fields", s.fields,
      MapRule{"Secret field → environment variable name.", grammar::vault_field, "^[A-Za-z0-9_.-]{1,128}$",
              StringRule{"", grammar::env_name, 256, false, false, "^[A-Za-z_][A-Za-z0-9_]*$"}, 64});
}

template <class V>
void describe(V& v, Constraint& c) {
  v.string("attribute", c.attribute,
           StringRule{"Nomad attribute, e.g. ${attr.kernel.name} or ${meta.gpu-capable}.",
                      grammar::constraint_attribute, 256, true, false,
                      "^\\$\\{(attr|node|meta)\\.[A-Za-z0-9._-]+\\}$"});
  v.string("operand", c.operand, StringRule{"Comparison; default '='.", grammar::constraint_operand, 32});
  v.string("value", c.value, StringRule{"Value compared with the attribute.", nullptr, 1024});
}

template <class V>
void describe(V& v, TestConfig& t) {
  v.string_list(
      "commands", t.commands,
      ListRule{"Commands run in the built image, each in its own task, in parallel, as `/bin/sh -c "
               "<command>` with the image's ENTRYPOINT replaced, in its WORKDIR, as its USER. Needs /bin/sh "
               "in the image (docs/tests.md).",
               StringRule{"", nullptr, 8192, false, true}, 64});
  v.boolean("entry_point", t.entry_point,
            "Also run the image's own ENTRYPOINT and CMD, unchanged, as a test; it must exit 0. Needs no "
            "shell.");
  v.string_map("env", t.env,
               MapRule{"Environment variables for every test task.", grammar::env_name,
                       "^[A-Za-z_][A-Za-z0-9_]*$", StringRule{"", nullptr, 32768, false, true}, 128});
  v.duration("timeout", t.timeout,
             DurationRule{"Deadline for the whole test phase, e.g. 15m (default) or 900.",
                          std::chrono::seconds(1), std::chrono::hours(24)});
  v.object("resource_limits", t.resource_limits,
           ObjectRule{"Resources of each test task; beats resource_limits.test."},
           [](auto& pv, Resources& x) { describe(pv, x); });
  v.object_list("vault_secrets", t.vault_secrets,
                ObjectRule{"Vault secrets exposed to the test tasks as environment variables.", 32},
                [](auto& pv, VaultSecret& x) { describe(pv, x); });
  v.integer("gpu_count", t.gpu_count, IntRule{"GPUs (nvidia/gpu devices) per test task.", 0, 16});
  v.object_list("constraints", t.constraints,
                ObjectRule{"Nomad placement constraints for the test tasks.", 32},
                [](auto& pv, Constraint& x) { describe(pv, x); });
  v.removed("vault_policies",
            "is no longer used: with Nomad workload identity the Vault role decides the policies; remove it");
  v.removed("gpu_required", "is replaced by test.gpu_count (e.g. 1)");
}

template <class V>
void describe(V& v, JobRequest& r, LegacyAliases& a) {
  v.string("owner", r.owner,
           StringRule{"Who submits the job (an agent or team name); used to filter history.", grammar::owner,
                      128, true, false, "^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$"});
  v.string("repo_url", r.repo_url,
           StringRule{
               "Git repository: https, http, ssh, git or file URL, or user@host:path. No credentials in the "
               "URL; use git_credentials_path.",
               grammar::repo_url, 2048, true});
  v.string("git_ref", r.git_ref,
           StringRule{"Branch, tag or commit id (7–40 hex) to build. Default: main.", grammar::git_ref, 255});
  v.string("git_credentials_path", r.git_credentials_path,
           StringRule{"Vault path of the Git credentials (token or ssh key) for a private repository.",
                      grammar::vault_path, 512});
  v.string("dockerfile_path", r.dockerfile_path,
           StringRule{"Dockerfile path relative to the repository root. Default: Dockerfile.",
                      grammar::relative_path, 4096});
  v.string("dockerfile_context", r.dockerfile_context,
           StringRule{"Build context directory relative to the repository root. Default: the root.",
                      grammar::relative_path, 4096});
  v.string(
      "image_name", r.image_name,
      StringRule{"Repository path of the image in the registry, e.g. team/app (lower case). May be omitted "
                 "when registry_url already ends in the repository path.",
                 grammar::repository_path, 255, false, false,
                 "^[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*$"});
  v.string_list(
      "image_tags", r.image_tags,
      ListRule{"Extra tags to publish. The job id is always published as the first tag.",
               StringRule{"", grammar::image_tag, 128, false, false, "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"},
               32, true, true});
  v.string(
      "registry_url", r.registry_url,
      StringRule{"Registry host[:port], optionally followed by a repository path: registry.example.com:5000 "
                 "or registry.example.com/team/app. No scheme.",
                 grammar::registry_url, 512, true});
  v.string(
      "registry_credentials_path", r.registry_credentials_path,
      StringRule{"Vault path of the registry credentials (username, password).", grammar::vault_path, 512});
  v.string_map("build_args", r.build_args,
               MapRule{"Build arguments (--build-arg NAME=value).", grammar::env_name,
                       "^[A-Za-z_][A-Za-z0-9_]*$", StringRule{"", nullptr, 8192}, 64});
  v.string("target", r.target,
           StringRule{"Dockerfile stage to build (--target).", grammar::build_target, 128, false, false,
                      "^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"});
  v.string(
      "platform", r.platform,
      StringRule{"Target platform, e.g. linux/amd64. Only sets the image metadata unless the node can run "
                 "that architecture.",
                 grammar::platform, 64, false, false, "^[a-z0-9_]+/[a-z0-9_]+(/[a-z0-9_]+)?$"});
  v.object("test", r.test,
           ObjectRule{"Tests run inside the built image before it is published. Omit for no tests: the build "
                      "then pushes straight to the final tags."},
           [](auto& pv, TestConfig& x) { describe(pv, x); });
  v.object("resource_limits", r.resource_limits,
           ObjectRule{
               "Resources per phase; each field falls back to the global field, then to the phase default."},
           [](auto& pv, ResourceLimits& x) { describe(pv, x); });
  v.duration("build_timeout", r.build_timeout,
             DurationRule{"Deadline for the build phase, e.g. 30m (default), 1h30m or 5400."});
  v.boolean("clear_cache", r.clear_cache, "Build without the layer cache (the Git mirror is still used).");
  v.string(
      "webhook_url", r.webhook_url,
      StringRule{"http(s) URL that receives a POST on every status change.", grammar::webhook_url, 2048});
  v.string("webhook_secret", r.webhook_secret,
           StringRule{"Key of the HMAC-SHA256 signature sent in X-Webhook-Signature.", nullptr, 1024});
  v.boolean("webhook_on_success", r.webhook_on_success,
            "Send the webhook when the job succeeds. Default: true.");
  v.boolean("webhook_on_failure", r.webhook_on_failure,
            "Send the webhook when the job fails. Default: true.");
  v.string_map("webhook_headers", r.webhook_headers,
               MapRule{"Extra HTTP headers for the webhook request.", grammar::webhook_header_name,
                       "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", StringRule{"", nullptr, 4096}, 32});
  v.legacy_list(
      "test_commands", a.test_commands,
      ListRule{"Deprecated alias of test.commands.", StringRule{"", nullptr, 8192, false, true}, 64});
  v.legacy_bool("test_entry_point", a.test_entry_point, "Deprecated alias of test.entry_point.");
  v.removed("deploy_dir", "is a setting of the old command-line client, not of a job; remove it");
}

}  // namespace nbs::fields
