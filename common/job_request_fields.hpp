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
  // The schema's name for the object's shape (a list's item shape) when several fields share it: it is
  // defined once under "$defs" and each field refers to it.
  std::string_view shared_as = {};
};

// Old field names still accepted on input and mapped onto their fields after parsing.
struct LegacyAliases {
  std::optional<std::vector<std::string>> test_commands;
  std::optional<bool> test_entry_point;
  std::optional<std::string> platform;
};

inline constexpr IntRule k_cpu{"CPU in MHz.", 50, 256000};
inline constexpr IntRule k_memory{"Memory in MB.", 64, 1048576};
inline constexpr IntRule k_disk{"Disk in MB.", 64, 10485760};

template <class V>
void describe(V& v, Resources& r) {
  v.integer("cpu", r.cpu, k_cpu);
  v.integer("memory", r.memory, k_memory);
  v.integer("disk", r.disk, k_disk);
}

template <class V>
void describe(V& v, ResourceLimits& r) {
  v.integer("cpu", r.cpu, k_cpu);
  v.integer("memory", r.memory, k_memory);
  v.integer("disk", r.disk, k_disk);
  auto phase = [](auto& pv, Resources& x) { describe(pv, x); };
  v.object("build", r.build, ObjectRule{"Default cpu 1000, memory 2048, disk 10240.", 0, "resources"}, phase);
  v.object("test", r.test, ObjectRule{"Default cpu 500, memory 1024, disk 2048.", 0, "resources"}, phase);
  v.object("publish", r.publish, ObjectRule{"Default cpu 500, memory 1024, disk 2048.", 0, "resources"},
           phase);
}

template <class V>
void describe(V& v, VaultSecret& s) {
  v.string("path", s.path,
           StringRule{"Vault KV v2 path, e.g. secret/data/app.", grammar::vault_path, 512, true, false,
                      "^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"});
  v.string_map("fields", s.fields,
               MapRule{"Secret field → env variable name.", grammar::vault_field, "^[A-Za-z0-9_.-]{1,128}$",
                       StringRule{"", grammar::env_name, 256, false, false, "^[A-Za-z_][A-Za-z0-9_]*$"}, 64});
}

template <class V>
void describe(V& v, Constraint& c) {
  v.string("attribute", c.attribute,
           StringRule{"Nomad attribute, e.g. ${attr.kernel.name}.", grammar::constraint_attribute, 256, true,
                      false, "^\\$\\{(attr|node|meta)\\.[A-Za-z0-9._-]+\\}$"});
  v.string("operand", c.operand, StringRule{"Comparison operator.", grammar::constraint_operand, 32});
  v.string("value", c.value, StringRule{"Compared value.", nullptr, 1024});
}

template <class V>
void describe(V& v, BuildSecret& s) {
  v.string("id", s.id,
           StringRule{"", grammar::build_secret_id, 64, true, false, "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"});
  v.string("source", s.source,
           StringRule{"file:<name> or vault:<path>#<field>.", grammar::build_secret_source, 1024, true});
}

template <class V>
void describe(V& v, BuildConfig& b) {
  v.object_list("secrets", b.secrets, ObjectRule{"For RUN --mount=type=secret,id=<id>.", 16, "secret"},
                [](auto& pv, BuildSecret& x) { describe(pv, x); });
  v.object_list("ssh", b.ssh, ObjectRule{"SSH keys for RUN --mount=type=ssh,id=<id>.", 8, "secret"},
                [](auto& pv, BuildSecret& x) { describe(pv, x); });
}

template <class V>
void describe(V& v, TestConfig& t) {
  v.string_list("commands", t.commands,
                ListRule{"Each run as /bin/sh -c in its own task (docs/tests.md).",
                         StringRule{"", nullptr, 8192, false, true}, 64});
  v.boolean("entry_point", t.entry_point, "Also run the image's ENTRYPOINT+CMD as a test; must exit 0.");
  v.string_map("env", t.env,
               MapRule{"Env of every test task.", grammar::env_name, "^[A-Za-z_][A-Za-z0-9_]*$",
                       StringRule{"", nullptr, 32768, false, true}, 128});
  v.duration("timeout", t.timeout,
             DurationRule{"Test phase deadline.", std::chrono::seconds(1), std::chrono::hours(24)});
  v.object("resource_limits", t.resource_limits,
           ObjectRule{"Per test task; beats resource_limits.test.", 0, "resources"},
           [](auto& pv, Resources& x) { describe(pv, x); });
  v.object_list("vault_secrets", t.vault_secrets, ObjectRule{"Vault secrets as env of the test tasks.", 32},
                [](auto& pv, VaultSecret& x) { describe(pv, x); });
  v.integer("gpu_count", t.gpu_count, IntRule{"GPUs per test task.", 0, 16});
  v.object_list("constraints", t.constraints, ObjectRule{"Nomad placement of the test tasks.", 32},
                [](auto& pv, Constraint& x) { describe(pv, x); });
  v.string_list("reports", t.reports,
                ListRule{"Files collected from each test task after it ends (JUnit XML is summarised).",
                         StringRule{"", grammar::report_path, 1024}, 16, true});
  v.removed("vault_policies",
            "is no longer used: with Nomad workload identity the Vault role decides the policies; remove it");
  v.removed("gpu_required", "is replaced by test.gpu_count (e.g. 1)");
}

template <class V>
void describe(V& v, CacheConfig& c) {
  v.string("registry_ref", c.registry_ref,
           StringRule{"Repository host[:port]/path, no tag; default: the image repository + /cache.",
                      grammar::cache_repository, 512});
}

template <class V>
void describe(V& v, SignConfig& s) {
  v.string("key_ref", s.key_ref,
           StringRule{"GPG secret key: file:<name> or vault:<path>#<field>.", grammar::build_secret_source,
                      1024, true});
}

template <class V>
void describe(V& v, JobRequest& r, LegacyAliases& a) {
  v.string("owner", r.owner,
           StringRule{"Agent or team name.", grammar::owner, 128, true, false,
                      "^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$"});
  v.string("repo_url", r.repo_url, StringRule{"Git URL (no credentials).", grammar::repo_url, 2048, true});
  v.string("git_ref", r.git_ref, StringRule{"Branch, tag or commit.", grammar::git_ref, 255});
  v.string("git_credentials_path", r.git_credentials_path,
           StringRule{"Vault path.", grammar::vault_path, 512});
  v.string("dockerfile_path", r.dockerfile_path,
           StringRule{"", grammar::relative_path, 4096});  // the name and default say it all
  v.string("dockerfile_context", r.dockerfile_context,
           StringRule{"Build context in the repository.", grammar::relative_path, 4096});
  v.string("image_name", r.image_name,
           StringRule{"e.g. team/app.", grammar::repository_path, 255, false, false,
                      "^[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*$"});
  v.string_list(
      "image_tags", r.image_tags,
      ListRule{"Tags besides the job id.",
               StringRule{"", grammar::image_tag, 128, false, false, "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"},
               32, true, true});
  v.string("registry_url", r.registry_url,
           StringRule{"host[:port][/image path].", grammar::registry_url, 512, true});
  v.string("registry_credentials_path", r.registry_credentials_path,
           StringRule{"Vault path.", grammar::vault_path, 512});
  v.string_map("build_args", r.build_args,
               MapRule{"--build-arg NAME=value.", grammar::env_name, "^[A-Za-z_][A-Za-z0-9_]*$",
                       StringRule{"", nullptr, 8192}, 64});
  v.string_list(
      "secret_build_args", r.secret_build_args,
      ListRule{"build_args keys to mask.",
               StringRule{"", grammar::secret_build_arg_name, 256, false, false, "^[A-Za-z_][A-Za-z0-9_]*$"},
               64, true});
  v.string("target", r.target,
           StringRule{"Dockerfile stage to build.", grammar::build_target, 128, false, false,
                      "^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"});
  v.string_list(
      "platforms", r.platforms,
      ListRule{"Several: an OCI index.",
               StringRule{"", grammar::platform, 64, false, false, "^linux/[a-z0-9]+(/v[0-9])?$"}, 8, true});
  v.string_map(
      "labels", r.labels,
      MapRule{"",  // the name says it all
              grammar::label_key, "^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$", StringRule{"", nullptr, 1024}, 64});
  v.object("build", r.build, ObjectRule{"RUN --mount secrets and SSH keys."},
           [](auto& pv, BuildConfig& x) { describe(pv, x); });
  v.object("test", r.test, ObjectRule{"Run in the image before publishing."},
           [](auto& pv, TestConfig& x) { describe(pv, x); });
  v.object("resource_limits", r.resource_limits, ObjectRule{"Per phase, or top-level for all."},
           [](auto& pv, ResourceLimits& x) { describe(pv, x); });
  v.duration("build_timeout", r.build_timeout, DurationRule{""});  // the name says it all
  v.boolean("clear_cache", r.clear_cache, "");                     // the name says it all
  v.object("cache", r.cache, ObjectRule{""}, [](auto& pv, CacheConfig& x) { describe(pv, x); });
  v.object("sign", r.sign, ObjectRule{""}, [](auto& pv, SignConfig& x) { describe(pv, x); });
  v.string("webhook_url", r.webhook_url,
           StringRule{"URL POSTed on status changes.", grammar::webhook_url, 2048});
  v.string("webhook_secret", r.webhook_secret, StringRule{"HMAC key of X-Webhook-Signature.", nullptr, 1024});
  v.boolean("webhook_on_success", r.webhook_on_success, "");  // the name says it all
  v.boolean("webhook_on_failure", r.webhook_on_failure, "");
  v.string_map("webhook_headers", r.webhook_headers,
               MapRule{"",  // the name says it all
                       grammar::webhook_header_name, "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
                       StringRule{"", nullptr, 4096}, 32});
  v.legacy_list("test_commands", a.test_commands,
                ListRule{"Use test.commands.", StringRule{"", nullptr, 8192, false, true}, 64});
  v.legacy_bool("test_entry_point", a.test_entry_point, "Use test.entry_point.");
  v.legacy_string(
      "platform", a.platform,
      StringRule{"Use platforms.", grammar::platform, 64, false, false, "^linux/[a-z0-9]+(/v[0-9])?$"});
  v.removed("deploy_dir", "is a setting of the old command-line client, not of a job; remove it");
}

}  // namespace nbs::fields
