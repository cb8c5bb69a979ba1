// Table-driven tests of the one job request validator: each case changes one field of a valid request
// and states which field path must be reported (or that the request is accepted). Every case is also
// run through YAML, which must give exactly the same errors.
#include <algorithm>

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "common/job_request_parser.hpp"

namespace nbs {
namespace {

namespace json = boost::json;

json::object valid_request() {
  json::value v = json::parse(R"({
    "owner": "agent-7",
    "repo_url": "https://git.example.com/team/app.git",
    "image_name": "team/app",
    "registry_url": "registry.example.com:5000"
  })");
  return std::move(v.as_object());
}

struct Case {
  const char* name;
  const char* patch;          // JSON object merged into the valid request (null removes a key)
  const char* expected_path;  // nullptr: accepted
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

// Merges `patch` into `base` key by key (nested objects replaced whole; null deletes).
json::object apply(json::object base, const char* patch) {
  const json::value parsed = json::parse(patch);
  for (const auto& kv : parsed.as_object()) {
    if (kv.value().is_null()) {
      base.erase(kv.key());
    } else {
      base[kv.key()] = kv.value();
    }
  }
  return base;
}

const std::string k_long(5000, 'a');

const Case k_cases[] = {
    // required fields and wrong types
    {"owner missing", R"({"owner": null})", "owner"},
    {"owner empty", R"({"owner": ""})", "owner"},
    {"owner number", R"({"owner": 7})", "owner"},
    {"owner with semicolon", R"({"owner": "a;rm -rf /"})", "owner"},
    {"owner with newline", R"({"owner": "a\nb"})", "owner"},
    {"owner with backtick", R"({"owner": "`id`"})", "owner"},
    {"owner with dollar", R"j({"owner": "$(id)"})j", "owner"},
    {"owner with email", R"({"owner": "bot@example.com"})", nullptr},
    {"repo_url missing", R"({"repo_url": null})", "repo_url"},
    {"repo_url array", R"({"repo_url": ["x"]})", "repo_url"},
    {"repo_url with token", R"({"repo_url": "https://tok3n@github.com/a/b.git"})", "repo_url"},
    {"repo_url with password", R"({"repo_url": "https://u:p@github.com/a/b.git"})", "repo_url"},
    {"repo_url ftp", R"({"repo_url": "ftp://host/a.git"})", "repo_url"},
    {"repo_url with space", R"({"repo_url": "https://host/a b.git"})", "repo_url"},
    {"repo_url with newline", R"({"repo_url": "https://host/a.git\nrm"})", "repo_url"},
    {"repo_url with semicolon cmd", R"({"repo_url": "https://host/a.git; rm -rf /"})", "repo_url"},
    {"repo_url option injection", R"({"repo_url": "--upload-pack=touch /tmp/x"})", "repo_url"},
    {"repo_url ssh host option", R"({"repo_url": "ssh://-oProxyCommand=touch%20x/repo.git"})", "repo_url"},
    {"repo_url ssh user option", R"({"repo_url": "ssh://-oProxyCommand@host/repo.git"})", "repo_url"},
    {"repo_url scp-like host option", R"({"repo_url": "git@-oProxyCommand=x:repo.git"})", "repo_url"},
    {"repo_url ssh with user", R"({"repo_url": "ssh://git@host:22/team/app.git"})", nullptr},
    {"repo_url scp-like", R"({"repo_url": "git@github.com:team/app.git"})", nullptr},
    {"repo_url file", R"({"repo_url": "file:///srv/git/app.git"})", nullptr},
    {"repo_url no path", R"({"repo_url": "https://host/"})", "repo_url"},
    {"registry_url missing", R"({"registry_url": null})", "registry_url"},
    {"registry_url with scheme", R"({"registry_url": "https://registry.example.com"})", "registry_url"},
    {"registry_url bad port", R"({"registry_url": "registry:99999"})", "registry_url"},
    {"registry_url upper-case path", R"({"registry_url": "registry:5000/Team"})", "registry_url"},
    {"registry_url with semicolon", R"({"registry_url": "registry;id"})", "registry_url"},
    {"registry_url with path, no image_name",
     R"({"registry_url": "registry.example.com/team/app", "image_name": null})", nullptr},
    {"no repository anywhere", R"({"image_name": null})", "image_name"},
    {"registry_url ipv6", R"({"registry_url": "[::1]:5000"})", nullptr},
    // image names and tags
    {"image_name upper case", R"({"image_name": "Team/App"})", "image_name"},
    {"image_name with colon", R"({"image_name": "team/app:latest"})", "image_name"},
    {"image_name double slash", R"({"image_name": "team//app"})", "image_name"},
    {"image_name trailing dash", R"({"image_name": "team/app-"})", "image_name"},
    {"image_name with dots and dashes", R"({"image_name": "team.x/my--app__v2"})", nullptr},
    {"image_name with shell", R"j({"image_name": "app$(id)"})j", "image_name"},
    {"tag with slash", R"({"image_tags": ["v1/x"]})", "image_tags[0]"},
    {"tag starting with dot", R"({"image_tags": ["ok", ".hidden"]})", "image_tags[1]"},
    {"tag too long",
     R"({"image_tags": ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]})",
     "image_tags[0]"},
    {"tag repeated", R"({"image_tags": ["v1", "v1"]})", "image_tags[1]"},
    {"tag empty", R"({"image_tags": [""]})", "image_tags[0]"},
    {"tag number", R"({"image_tags": [1]})", "image_tags[0]"},
    {"tags as one string", R"({"image_tags": "latest"})", nullptr},
    {"tags as a JSON string", R"({"image_tags": "[\"a\", \"b\"]"})", nullptr},
    {"tags as object", R"({"image_tags": {"a": 1}})", "image_tags"},
    {"tag with newline", R"({"image_tags": ["v1\n"]})", "image_tags[0]"},
    // git refs
    {"git_ref with space", R"({"git_ref": "main branch"})", "git_ref"},
    {"git_ref with dotdot", R"({"git_ref": "a..b"})", "git_ref"},
    {"git_ref with shell", R"({"git_ref": "main;id"})", nullptr},  // ';' is legal in a ref; no shell sees it
    {"git_ref with backtick", R"({"git_ref": "`id`"})", nullptr},  // likewise legal, passed to libgit2 only
    {"git_ref with colon", R"({"git_ref": "a:b"})", "git_ref"},
    {"git_ref ending .lock", R"({"git_ref": "feature.lock"})", "git_ref"},
    {"git_ref leading dash", R"({"git_ref": "-f"})", "git_ref"},
    {"git_ref at-brace", R"({"git_ref": "main@{1}"})", "git_ref"},
    {"git_ref newline", R"({"git_ref": "main\nx"})", "git_ref"},
    {"git_ref short sha", R"({"git_ref": "a1b2c3d"})", nullptr},
    {"git_ref full refs name", R"({"git_ref": "refs/tags/v1.2.3"})", nullptr},
    {"git_ref component starting with dot", R"({"git_ref": "feature/.x"})", "git_ref"},
    // paths
    {"dockerfile_path absolute", R"({"dockerfile_path": "/etc/passwd"})", "dockerfile_path"},
    {"dockerfile_path escape", R"({"dockerfile_path": "../../etc/passwd"})", "dockerfile_path"},
    {"dockerfile_path inner escape", R"({"dockerfile_path": "docker/../../x"})", "dockerfile_path"},
    {"dockerfile_path nul", R"({"dockerfile_path": "Docker\u0000file"})", "dockerfile_path"},
    {"dockerfile_path newline", R"({"dockerfile_path": "Dockerfile\n--rm"})", "dockerfile_path"},
    {"dockerfile_path option", R"({"dockerfile_path": "--file=/x"})", "dockerfile_path"},
    {"dockerfile_path nested", R"({"dockerfile_path": "docker/prod.Dockerfile"})", nullptr},
    {"dockerfile_context escape", R"({"dockerfile_context": ".."})", "dockerfile_context"},
    {"dockerfile_context absolute", R"({"dockerfile_context": "/"})", "dockerfile_context"},
    {"dockerfile_context too long", R"({"dockerfile_context": "LONG"})", "dockerfile_context"},
    {"dockerfile_context control char", R"({"dockerfile_context": "a\u001bb"})", "dockerfile_context"},
    // credentials paths (rendered into Nomad templates: strict)
    {"git_credentials_path template injection", R"({"git_credentials_path": "x\" }}{{ env \"NOMAD_TOKEN"})",
     "git_credentials_path"},
    {"registry_credentials_path escape", R"({"registry_credentials_path": "secret/../root"})",
     "registry_credentials_path"},
    {"registry_credentials_path absolute", R"({"registry_credentials_path": "/secret/x"})",
     "registry_credentials_path"},
    {"credentials path ok", R"({"registry_credentials_path": "secret/data/nomad-build/registry"})", nullptr},
    // build args, target, platform
    {"build_args bad name", R"({"build_args": {"A-B": "x"}})", "build_args[\"A-B\"]"},
    {"build_args value newline", R"({"build_args": {"A": "x\ny"}})", "build_args.A"},
    {"build_args value array", R"({"build_args": {"A": ["x"]}})", "build_args.A"},
    {"build_args shell chars kept verbatim", R"({"build_args": {"A": "$(id); `x` | y"}})", nullptr},
    {"build_args number value", R"({"build_args": {"PORT": 8080}})", nullptr},
    {"build_args not object", R"({"build_args": "A=1"})", "build_args"},
    // secret build args: names of build_args, handed to Buildah through its environment
    {"secret_build_args ok",
     R"({"build_args": {"NPM_TOKEN": "t0ken", "A": "1"}, "secret_build_args": ["NPM_TOKEN"]})", nullptr},
    {"secret_build_args as one string",
     R"({"build_args": {"NPM_TOKEN": "t0ken"}, "secret_build_args": "NPM_TOKEN"})", "secret_build_args"},
    {"secret_build_args names no build arg",
     R"({"build_args": {"A": "12345"}, "secret_build_args": ["A", "B"]})", "secret_build_args[1]"},
    {"secret_build_args without build_args", R"({"secret_build_args": ["NPM_TOKEN"]})",
     "secret_build_args[0]"},
    {"secret_build_args repeated", R"({"build_args": {"A": "12345"}, "secret_build_args": ["A", "A"]})",
     "secret_build_args[1]"},
    {"secret_build_args bad name", R"({"build_args": {"A": "12345"}, "secret_build_args": ["A-B"]})",
     "secret_build_args[0]"},
    {"secret_build_args value too short to mask",
     R"({"build_args": {"PIN": "123"}, "secret_build_args": ["PIN"]})", "secret_build_args[0]"},
    {"secret_build_args PATH", R"({"build_args": {"PATH": "/secret"}, "secret_build_args": ["PATH"]})",
     "secret_build_args[0]"},
    {"secret_build_args a proxy",
     R"({"build_args": {"https_proxy": "http://u:p@x"}, "secret_build_args": ["https_proxy"]})",
     "secret_build_args[0]"},
    {"secret_build_args a Buildah setting",
     R"({"build_args": {"BUILDAH_FORMAT": "docker"}, "secret_build_args": ["BUILDAH_FORMAT"]})",
     "secret_build_args[0]"},
    {"secret_build_args not a list", R"({"build_args": {"A": "12345"}, "secret_build_args": {"A": true}})",
     "secret_build_args"},
    {"secret_build_args with a bad build arg",
     R"({"build_args": {"A-B": "12345"}, "secret_build_args": ["C"]})", "build_args[\"A-B\"]"},
    {"target with space", R"({"target": "a b"})", "target"},
    {"platform bad", R"({"platform": "amd64"})", "platform"},
    {"platform ok", R"({"platform": "linux/arm64/v8"})", nullptr},
    {"platform and platforms", R"({"platform": "linux/amd64", "platforms": ["linux/arm64"]})", "platform"},
    // several platforms: an OCI index
    {"platforms ok", R"({"platforms": ["linux/amd64", "linux/arm64", "linux/arm/v7"]})", nullptr},
    {"platforms unknown arch", R"({"platforms": ["linux/amd64", "linux/foo"]})", "platforms[1]"},
    {"platforms not linux", R"({"platforms": ["windows/amd64"]})", "platforms[0]"},
    {"platforms repeated", R"({"platforms": ["linux/amd64", "linux/amd64"]})", "platforms[1]"},
    {"platforms a string", R"({"platforms": "linux/amd64,linux/arm64"})", "platforms"},
    {"platforms too many",
     R"({"platforms": ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/386", "linux/ppc64le",
                       "linux/s390x", "linux/riscv64", "linux/mips64le"]})",
     "platforms"},
    // signing
    {"sign ok", R"({"sign": {"key_ref": "file:signing-key"}})", nullptr},
    {"sign vault ok", R"({"sign": {"key_ref": "vault:secret/data/ci/sign#key"}})", nullptr},
    {"sign without key_ref", R"({"sign": {}})", "sign.key_ref"},
    {"sign key path", R"({"sign": {"key_ref": "file:../../root/.gnupg/key"}})", "sign.key_ref"},
    {"sign key absolute", R"({"sign": {"key_ref": "/etc/nbs/key"}})", "sign.key_ref"},
    {"sign unknown field", R"({"sign": {"key_ref": "file:k", "passphrase": "x"}})", "sign.passphrase"},
    // test reports
    {"reports ok", R"({"test": {"commands": ["true"], "reports": ["/out/junit.xml", "/out/coverage.txt"]}})",
     nullptr},
    {"reports relative", R"({"test": {"commands": ["true"], "reports": ["out/junit.xml"]}})",
     "test.reports[0]"},
    {"reports dot dot", R"({"test": {"commands": ["true"], "reports": ["/out/../etc/shadow"]}})",
     "test.reports[0]"},
    {"reports root", R"({"test": {"commands": ["true"], "reports": ["/"]}})", "test.reports[0]"},
    {"reports newline", R"({"test": {"commands": ["true"], "reports": ["/out/a\nb"]}})", "test.reports[0]"},
    {"reports repeated", R"({"test": {"commands": ["true"], "reports": ["/out/a", "/out/a"]}})",
     "test.reports[1]"},
    // build secrets and SSH keys
    {"build secret ok", R"({"build": {"secrets": [{"id": "npmrc", "source": "file:npmrc"}]}})", nullptr},
    {"build secret vault ok",
     R"({"build": {"secrets": [{"id": "npm", "source": "vault:secret/data/ci/npm#token"}]}})", nullptr},
    {"build secret id with slash", R"({"build": {"secrets": [{"id": "a/b", "source": "file:x"}]}})",
     "build.secrets[0].id"},
    {"build secret without id", R"({"build": {"secrets": [{"source": "file:x"}]}})", "build.secrets[0].id"},
    {"build secret path source", R"({"build": {"secrets": [{"id": "a", "source": "file:../etc/shadow"}]}})",
     "build.secrets[0].source"},
    {"build secret absolute source", R"({"build": {"secrets": [{"id": "a", "source": "/etc/shadow"}]}})",
     "build.secrets[0].source"},
    {"build secret dot source", R"({"build": {"secrets": [{"id": "a", "source": "file:.."}]}})",
     "build.secrets[0].source"},
    {"build secret vault without field",
     R"({"build": {"secrets": [{"id": "a", "source": "vault:secret/data/x"}]}})", "build.secrets[0].source"},
    {"build secret vault dotdot", R"({"build": {"secrets": [{"id": "a", "source": "vault:secret/../x#f"}]}})",
     "build.secrets[0].source"},
    {"build secret repeated id",
     R"({"build": {"secrets": [{"id": "a", "source": "file:x"}, {"id": "a", "source": "file:y"}]}})",
     "build.secrets[1].id"},
    {"build ssh unknown field", R"({"build": {"ssh": [{"id": "default", "source": "file:k", "key": "x"}]}})",
     "build.ssh[0].key"},
    {"build unknown field", R"({"build": {"secret": []}})", "build.secret"},
    // labels
    {"labels ok", R"({"labels": {"org.opencontainers.image.title": "app", "team/owner": "builds"}})",
     nullptr},
    {"label key with space", R"({"labels": {"a b": "v"}})", "labels[\"a b\"]"},
    {"label key with equals", R"({"labels": {"a=b": "v"}})", "labels[\"a=b\"]"},
    {"label key set by the service", R"({"labels": {"org.opencontainers.image.revision": "abc"}})",
     "labels[\"org.opencontainers.image.revision\"]"},
    {"label value multi-line", R"({"labels": {"a": "x\ny"}})", "labels.a"},
    {"label value an object", R"({"labels": {"a": {"b": "c"}}})", "labels.a"},
    // test block
    {"test not object", R"({"test": "make test"})", "test"},
    {"test command not string", R"({"test": {"commands": ["ok", 3]}})", "test.commands[1]"},
    {"test command with shell chars", R"({"test": {"commands": ["make test && ./run | tee x; echo $HOME"]}})",
     nullptr},
    {"test command multi-line", R"({"test": {"commands": ["set -e\nmake test"]}})", nullptr},
    {"test command nul", R"({"test": {"commands": ["a\u0000b"]}})", "test.commands[0]"},
    {"test command empty", R"({"test": {"commands": [""]}})", "test.commands[0]"},
    {"test entry_point string", R"({"test": {"entry_point": "yes"}})", "test.entry_point"},
    {"test env bad name", R"({"test": {"env": {"1X": "v"}}})", "test.env[\"1X\"]"},
    {"test env name with equals", R"({"test": {"env": {"A=B": "v"}}})", "test.env[\"A=B\"]"},
    {"test timeout garbage", R"({"test": {"timeout": "soon"}})", "test.timeout"},
    {"test timeout too long", R"({"test": {"timeout": "48h"}})", "test.timeout"},
    {"test timeout negative", R"({"test": {"timeout": -5}})", "test.timeout"},
    {"test timeout seconds", R"({"test": {"timeout": 600}})", nullptr},
    {"test timeout compound", R"({"test": {"timeout": "1h30m"}})", nullptr},
    {"test unknown field", R"({"test": {"comands": ["x"]}})", "test.comands"},
    {"test vault_policies removed", R"({"test": {"vault_policies": ["p"]}})", "test.vault_policies"},
    {"test gpu_required removed", R"({"test": {"gpu_required": true}})", "test.gpu_required"},
    {"test gpu_count too many", R"({"test": {"gpu_count": 99}})", "test.gpu_count"},
    {"test gpu_count numeric string", R"({"test": {"gpu_count": "2"}})", nullptr},
    {"vault secret without path", R"({"test": {"vault_secrets": [{"fields": {"password": "DB_PASSWORD"}}]}})",
     "test.vault_secrets[0].path"},
    {"vault secret bad env",
     R"({"test": {"vault_secrets": [{"path": "secret/data/db", "fields": {"password": "db-pw"}}]}})",
     "test.vault_secrets[0].fields.password"},
    {"vault secret field injection",
     R"({"test": {"vault_secrets": [{"path": "secret/data/db", "fields": {"a}}{{x": "X"}}]}})",
     "test.vault_secrets[0].fields[\"a}}{{x\"]"},
    {"constraint bad attribute", R"({"test": {"constraints": [{"attribute": "kernel", "value": "linux"}]}})",
     "test.constraints[0].attribute"},
    {"constraint bad operand",
     R"({"test": {"constraints": [{"attribute": "${attr.kernel.name}", "operand": "~=", "value": "linux"}]}})",
     "test.constraints[0].operand"},
    {"constraint ok", R"({"test": {"constraints": [{"attribute": "${meta.gpu-capable}", "value": "true"}]}})",
     nullptr},
    // legacy aliases
    {"alias test_commands", R"({"test_commands": ["make test"]})", nullptr},
    {"alias test_entry_point", R"({"test_entry_point": true})", nullptr},
    {"alias conflicts", R"({"test_commands": ["a"], "test": {"commands": ["b"]}})", "test_commands"},
    {"alias wrong type", R"({"test_entry_point": "true"})", "test_entry_point"},
    // resources and durations
    {"cpu numeric string", R"({"resource_limits": {"cpu": "1000"}})", nullptr},
    {"cpu garbage string", R"({"resource_limits": {"cpu": "1000MHz"}})", "resource_limits.cpu"},
    {"cpu negative", R"({"resource_limits": {"cpu": -1}})", "resource_limits.cpu"},
    {"memory huge", R"({"resource_limits": {"build": {"memory": 99999999999}}})",
     "resource_limits.build.memory"},
    {"disk fractional", R"({"resource_limits": {"publish": {"disk": 1.5}}})", "resource_limits.publish.disk"},
    {"resources unknown phase", R"({"resource_limits": {"deploy": {"cpu": 100}}})", "resource_limits.deploy"},
    {"build_timeout ns integer too big", R"({"build_timeout": 1800000000000})", "build_timeout"},
    {"build_timeout bool", R"({"build_timeout": true})", "build_timeout"},
    {"build_timeout ok", R"({"build_timeout": "45m"})", nullptr},
    {"build_timeout zero", R"({"build_timeout": "0s"})", "build_timeout"},
    {"clear_cache string", R"({"clear_cache": "true"})", "clear_cache"},
    // the shared layer cache (where it may live is the daemon's submit policy)
    {"cache empty object", R"({"cache": {}})", nullptr},
    {"cache ok", R"({"cache": {"registry_ref": "registry.example.com:5000/team/app/cache"}})", nullptr},
    {"cache string", R"({"cache": "registry.example.com/team/app/cache"})", "cache"},
    {"cache ref with tag", R"({"cache": {"registry_ref": "registry.example.com/team/app:cache"}})",
     "cache.registry_ref"},
    {"cache ref with digest", R"({"cache": {"registry_ref": "r.example.com/a@sha256:00"}})",
     "cache.registry_ref"},
    {"cache ref without path", R"({"cache": {"registry_ref": "registry.example.com:5000"}})",
     "cache.registry_ref"},
    {"cache ref with scheme", R"({"cache": {"registry_ref": "https://r.example.com/a/cache"}})",
     "cache.registry_ref"},
    {"cache ref upper case", R"({"cache": {"registry_ref": "r.example.com/Team/cache"}})",
     "cache.registry_ref"},
    {"cache unknown field", R"({"cache": {"mode": "max"}})", "cache.mode"},
    // webhooks
    {"webhook_url file scheme", R"({"webhook_url": "file:///etc/passwd"})", "webhook_url"},
    {"webhook_url relative", R"({"webhook_url": "/hook"})", "webhook_url"},
    {"webhook_url credentials", R"({"webhook_url": "https://u:p@hooks.example.com/x"})", "webhook_url"},
    {"webhook header reserved", R"({"webhook_headers": {"Host": "evil"}})", "webhook_headers.Host"},
    {"webhook header value crlf", R"({"webhook_headers": {"X-A": "v\r\nX-B: 1"}})",
     "webhook_headers[\"X-A\"]"},
    {"webhook header ok", R"({"webhook_headers": {"X-Team": "builds"}})", nullptr},
    {"webhook_on_success number", R"({"webhook_on_success": 1})", "webhook_on_success"},
    // unknown and removed fields
    {"unknown top-level field", R"({"imagename": "x"})", "imagename"},
    {"unknown field with odd name", R"({"a b": 1})", "[\"a b\"]"},
    {"deploy_dir removed", R"({"deploy_dir": "./deploy"})", "deploy_dir"},
    {"over-long owner", R"({"owner": "LONG"})", "owner"},
};

json::object request_for(const Case& c) {
  std::string patch = c.patch;
  if (const auto pos = patch.find("\"LONG\""); pos != std::string::npos) {
    patch.replace(pos, 6, "\"" + k_long + "\"");
  }
  return apply(valid_request(), patch.c_str());
}

std::vector<std::string> paths(const Error& e) {
  std::vector<std::string> out;
  for (const auto& f : e.fields) {
    out.push_back(f.path);
  }
  return out;
}

// A JSON value written as YAML with every string double-quoted (so nothing is re-typed).
void emit(YAML::Emitter& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      out << YAML::BeginMap;
      for (const auto& kv : v.get_object()) {
        out << YAML::Key << YAML::DoubleQuoted << std::string(kv.key()) << YAML::Value;
        emit(out, kv.value());
      }
      out << YAML::EndMap;
      break;
    case json::kind::array:
      out << YAML::BeginSeq;
      for (const auto& item : v.get_array()) {
        emit(out, item);
      }
      out << YAML::EndSeq;
      break;
    case json::kind::string:
      out << YAML::DoubleQuoted << std::string(v.get_string());
      break;
    default:
      out << json::serialize(v);
  }
}

std::string to_yaml(const json::value& v) {
  YAML::Emitter out;
  emit(out, v);
  return out.c_str();
}

class ValidationTable : public ::testing::TestWithParam<Case> {};

TEST_P(ValidationTable, ReportsTheFieldOrAccepts) {
  const Case& c = GetParam();
  const json::object request = request_for(c);
  auto parsed = parse_job_request(request);
  if (c.expected_path == nullptr) {
    EXPECT_TRUE(parsed) << c.name << ": " << (parsed ? "" : parsed.error().describe());
    if (parsed) {
      // A request that is accepted survives a round trip through to_json unchanged.
      auto again = parse_job_request(to_json(*parsed));
      ASSERT_TRUE(again) << again.error().describe();
      EXPECT_EQ(*again, *parsed);
    }
    return;
  }
  ASSERT_FALSE(parsed) << c.name << " was accepted";
  EXPECT_EQ(parsed.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(paths(parsed.error()), std::vector<std::string>{c.expected_path}) << parsed.error().describe();
  for (const auto& f : parsed.error().fields) {
    EXPECT_FALSE(f.reason.empty());
    EXPECT_NE(parsed.error().message.find(f.path), std::string::npos);
  }
}

TEST_P(ValidationTable, YamlGivesTheSameErrorsAsJson) {
  const Case& c = GetParam();
  const json::object request = request_for(c);
  auto from_json = parse_job_request_json(json::serialize(request));
  auto from_yaml = parse_job_request_yaml(to_yaml(request));
  ASSERT_EQ(bool(from_json), bool(from_yaml)) << to_yaml(request);
  if (from_json) {
    EXPECT_EQ(*from_json, *from_yaml);
  } else {
    EXPECT_EQ(from_json.error().fields, from_yaml.error().fields) << to_yaml(request);
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string out;
  for (const char* p = info.param.name; *p; ++p) {
    out += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Cases, ValidationTable, ::testing::ValuesIn(k_cases), case_name);

TEST(JobRequestValidation, ReportsEveryErrorAtOnce) {
  auto parsed = parse_job_request_json(
      R"({"repo_url": "ftp://x/y", "image_tags": ["ok", "b@d"], "test": {"commands": [1], "timeout": "x"},
          "bogus": true})");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(paths(parsed.error()),
            (std::vector<std::string>{"owner", "repo_url", "image_tags[1]", "registry_url",
                                      "test.commands[0]", "test.timeout", "bogus"}));
}

TEST(JobRequestValidation, SecretBuildArgErrorsSayWhy) {
  const std::string head = R"({"owner": "a", "repo_url": "https://h/r.git", "registry_url": "h/app", )";
  auto parsed = parse_job_request_json(
      head + R"("build_args": {"PIN": "123"}, "secret_build_args": ["PIN", "NPM_TOKEN"]})");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().fields,
            (std::vector<FieldError>{
                {"secret_build_args[0]",
                 "marks build_args.PIN secret, but its value is shorter than 4 characters: too short to mask "
                 "in logs"},
                {"secret_build_args[1]", "names no key of build_args ('NPM_TOKEN')"},
            }));
  parsed = parse_job_request_json(
      head + R"("build_args": {"HTTP_PROXY": "http://p:3128"}, "secret_build_args": ["HTTP_PROXY"]})");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().fields,
            (std::vector<FieldError>{{"secret_build_args[0]",
                                      "names a variable Buildah reads from its own environment (it gets a "
                                      "secret value that way); rename the build arg"}}));
}

TEST(JobRequestValidation, AppliesDefaultsOnce) {
  auto parsed = parse_job_request(valid_request());
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(parsed->git_ref, "main");
  EXPECT_EQ(parsed->dockerfile_path, "Dockerfile");
  EXPECT_EQ(parsed->dockerfile_context, ".");
  EXPECT_EQ(parsed->build_timeout, std::chrono::minutes(30));
  EXPECT_TRUE(parsed->webhook_on_success);
  EXPECT_FALSE(parsed->has_tests());
  EXPECT_EQ(final_image_tags(*parsed, "3f2b"), std::vector<std::string>{"3f2b"});
}

TEST(JobRequestValidation, AliasesMapOntoTest) {
  auto parsed = parse_job_request(
      apply(valid_request(), R"({"test_commands": ["make test"], "test_entry_point": true})"));
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(parsed->test);
  EXPECT_EQ(parsed->test->commands, std::vector<std::string>{"make test"});
  EXPECT_TRUE(parsed->test->entry_point);
  EXPECT_TRUE(parsed->has_tests());
  EXPECT_EQ(parsed->test->timeout, std::chrono::minutes(15));
}

TEST(JobRequestValidation, JobIdIsAlwaysTheFirstTag) {
  auto parsed = parse_job_request(apply(valid_request(), R"({"image_tags": ["latest", "v1"]})"));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(final_image_tags(*parsed, "id-1"), (std::vector<std::string>{"id-1", "latest", "v1"}));
  EXPECT_EQ(image_target(*parsed).reference("v1"), "registry.example.com:5000/team/app:v1");
}

TEST(JobRequestValidation, RepositoryMayComeFromRegistryUrl) {
  auto parsed = parse_job_request(
      apply(valid_request(), R"({"registry_url": "r.example.com/ns", "image_name": "app"})"));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(image_target(*parsed).registry, "r.example.com");
  EXPECT_EQ(image_target(*parsed).repository, "ns/app");
}

TEST(JobRequestValidation, CacheRepositoryDefaultsUnderTheImagePath) {
  auto none = parse_job_request(valid_request());
  ASSERT_TRUE(none);
  EXPECT_EQ(cache_repository(*none, ""), "");
  EXPECT_EQ(cache_repository(*none, "cache.example.com/nbs"), "cache.example.com/nbs/team/app");
  auto on = parse_job_request(apply(valid_request(), R"({"cache": {}})"));
  ASSERT_TRUE(on);
  EXPECT_EQ(cache_repository(*on, ""), "registry.example.com:5000/team/app/cache");
  EXPECT_EQ(cache_repository(*on, "cache.example.com/nbs"), "cache.example.com/nbs/team/app");
  auto named = parse_job_request(
      apply(valid_request(), R"({"cache": {"registry_ref": "registry.example.com:5000/team/app/c2"}})"));
  ASSERT_TRUE(named);
  EXPECT_EQ(cache_repository(*named, "cache.example.com/nbs"), "registry.example.com:5000/team/app/c2");
}

TEST(JobRequestValidation, CachePlaceIsTheJobsOwnImagePath) {
  auto place = [](const std::string& ref, std::string_view prefix) {
    const std::string patch = R"({"cache": {"registry_ref": ")" + ref + R"("}})";
    auto parsed = parse_job_request(apply(valid_request(), patch.c_str()));
    EXPECT_TRUE(parsed) << ref;
    return parsed ? check_cache_place(*parsed, prefix) : std::optional<std::string>("unparsed");
  };
  EXPECT_EQ(place("registry.example.com:5000/team/app/cache", ""), std::nullopt);
  EXPECT_EQ(place("registry.example.com:5000/team/app/x/y", ""), std::nullopt);
  EXPECT_EQ(place("cache.example.com/nbs/team/app", "cache.example.com/nbs"), std::nullopt);
  EXPECT_EQ(place("cache.example.com/nbs/team/app/more", "cache.example.com/nbs"), std::nullopt);
  // Another host, another image's path, a name that only starts like the image's, the image itself.
  for (const char* ref : {"evil.example.com/team/app/cache", "registry.example.com:5000/team/other/cache",
                          "registry.example.com:5000/team/app2/cache", "registry.example.com:5000/team/app",
                          "registry.example.com/team/app/cache", "cache.example.com/nbs/team/app"}) {
    auto reason = place(ref, "");
    ASSERT_TRUE(reason) << ref;
    EXPECT_NE(reason->find("'registry.example.com:5000/team/app/<name>'"), std::string::npos) << *reason;
  }
  auto reason = place("cache.example.com/nbs/team/other", "cache.example.com/nbs");
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("'cache.example.com/nbs/team/app'"), std::string::npos) << *reason;
}

TEST(JobRequestValidation, ResourcesResolvePhaseThenGlobalThenDefault) {
  auto parsed = parse_job_request(apply(valid_request(), R"({
      "resource_limits": {"cpu": "700", "build": {"memory": 4096}},
      "test": {"commands": ["x"], "resource_limits": {"disk": 999}}})"));
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(resolve_resources(*parsed, Phase::build, default_resources(Phase::build)),
            (ResolvedResources{700, 4096, 10240}));
  EXPECT_EQ(resolve_resources(*parsed, Phase::test, default_resources(Phase::test)),
            (ResolvedResources{700, 1024, 999}));
  EXPECT_EQ(resolve_resources(*parsed, Phase::cleanup, default_resources(Phase::cleanup)),
            (ResolvedResources{100, 256, 512}));
}

TEST(JobRequestValidation, RejectsNonObjectsAndBadSyntax) {
  EXPECT_EQ(paths(parse_job_request_json("[1]").error()), std::vector<std::string>{""});
  EXPECT_EQ(paths(parse_job_request_json("{").error()), std::vector<std::string>{""});
  auto yaml = parse_job_request_yaml("owner: [unclosed");
  ASSERT_FALSE(yaml);
  EXPECT_NE(yaml.error().message.find("yaml: line 1"), std::string::npos) << yaml.error().message;
  auto dup = parse_job_request_yaml("owner: a\nowner: b\n");
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("duplicate key 'owner'"), std::string::npos);
}

TEST(JobRequestValidation, YamlWithTwoDocumentsIsRefused) {
  auto parsed = parse_job_request_yaml("---\nowner: a\n---\nowner: b\n");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("yaml: line 3: expected one document"), std::string::npos)
      << parsed.error().message;
  // Input on which yaml-cpp 0.7's LoadAll never returns (issue #1319) is answered at once.
  EXPECT_FALSE(parse_job_request_yaml(R"({"owner":"a","repo_url":"git@h:r.g"},"x":1})"));
  EXPECT_FALSE(parse_job_request_yaml(","));
}

TEST(JobRequestValidation, YamlAliasBombIsRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'h'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
    prev = c;
  }
  auto parsed = parse_job_request_yaml(bomb);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("too large"), std::string::npos) << parsed.error().message;
}

TEST(JobRequestValidation, YamlPlainScalarsAreTyped) {
  auto parsed = parse_job_request_yaml(R"(
owner: agent-7
repo_url: https://git.example.com/team/app.git
image_name: team/app
registry_url: registry.example.com:5000
image_tags: [latest, "1.0"]
clear_cache: true
build_timeout: 45m
resource_limits: {cpu: 800}
test:
  entry_point: yes_please
)");
  ASSERT_FALSE(parsed);  // "yes_please" is a string, not a boolean
  EXPECT_EQ(paths(parsed.error()), std::vector<std::string>{"test.entry_point"});
}

TEST(JobRequestValidation, YamlNumbersBeyondADoubleAreTextNotACrash) {
  // Found by job_request_fuzzer: std::stod threw on these before.
  for (const char* number : {"1e999", "-1e999", "1e-999", "111111111111111111111111E11111"}) {
    auto parsed =
        parse_job_request_yaml(std::string("owner: ") + number + "\nbuild_timeout: " + number + "\n");
    ASSERT_FALSE(parsed) << number;
    const auto fields = paths(parsed.error());
    EXPECT_NE(std::find(fields.begin(), fields.end(), "build_timeout"), fields.end()) << number;
  }
}

}  // namespace
}  // namespace nbs
