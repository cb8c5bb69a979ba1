// The exported JSON Schema and the parser must describe the same fields: every schema property is a
// field the parser reads, and every field the parser accepts is in the schema. And what the schema
// accepts is pinned: its validation keywords, with shared definitions inlined, must equal the checked-in
// golden/job_request_schema_validation.json (NBS_UPDATE_GOLDEN=1 rewrites it), so shortening
// descriptions or sharing $defs can never make it accept more or less.
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"
#include "tests/unit/testutil/pretty_json.hpp"

namespace nbs {
namespace {

namespace json = boost::json;

json::object valid_request() {
  json::value v = json::parse(R"({"owner": "a", "repo_url": "https://h/r.git", "image_name": "r",
                                  "registry_url": "h:5000"})");
  return std::move(v.as_object());
}

// Every property path of an object schema: "test.commands", "test.vault_secrets[0].path", ...
void collect_paths(const json::object& schema, const std::string& prefix, std::set<std::string>& out) {
  for (const auto& kv : schema.at("properties").as_object()) {
    const std::string path = prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key());
    out.insert(path);
    const json::object& property = kv.value().as_object();
    if (property.at("type") == "object" && property.contains("properties")) {
      collect_paths(property, path, out);
    } else if (property.at("type") == "array" && property.at("items").as_object().contains("properties")) {
      collect_paths(property.at("items").as_object(), path + "[0]", out);
    }
  }
}

// Sets `path` (dotted, with [0] for the first list item) in `request`, creating what is missing.
void set_path(json::object& request, const std::string& path, json::value value) {
  json::object* at = &request;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool list = key.ends_with("[0]");
    if (list) {
      key.resize(key.size() - 3);
    }
    if (dot == std::string::npos) {
      (*at)[key] = std::move(value);
      return;
    }
    if (list) {
      json::value& arr = (*at)[key];
      if (!arr.is_array() || arr.as_array().empty()) {
        arr = json::array{json::object{}};
      }
      at = &arr.as_array()[0].as_object();
    } else {
      json::value& child = (*at)[key];
      if (!child.is_object()) {
        child = json::object{};
      }
      at = &child.as_object();
    }
    start = dot + 1;
  }
}

// Keywords that only annotate: they never change whether an instance validates.
bool is_annotation(std::string_view key) {
  return key == "description" || key == "title" || key == "default" || key == "deprecated" ||
         key == "examples" || key == "$comment";
}

// The schema as a validator sees it: every {"$ref": "#/$defs/<name>"} replaced by that definition,
// annotations, "$defs" and "$schema" dropped. A $ref beside a validation keyword is refused, so the
// inlining is exact.
json::value validation_keywords(const json::value& node, const json::object& defs);

json::object schema_map(const json::object& map, const json::object& defs) {
  json::object out;
  for (const auto& kv : map) {
    out[kv.key()] = validation_keywords(kv.value(), defs);
  }
  return out;
}

json::value validation_keywords(const json::value& node, const json::object& defs) {
  if (!node.is_object()) {
    return node;  // true / false schemas
  }
  const json::object& schema = node.as_object();
  if (const json::value* ref = schema.if_contains("$ref")) {
    const std::string target(ref->as_string());
    EXPECT_TRUE(target.starts_with("#/$defs/")) << target;
    for (const auto& kv : schema) {
      EXPECT_TRUE(kv.key() == "$ref" || is_annotation(kv.key())) << kv.key() << " beside $ref " << target;
    }
    const json::value* def = defs.if_contains(target.substr(std::string_view("#/$defs/").size()));
    EXPECT_NE(def, nullptr) << target;
    return def == nullptr ? json::value() : validation_keywords(*def, defs);
  }
  json::object out;
  for (const auto& kv : schema) {
    const std::string_view key = kv.key();
    if (is_annotation(key) || key == "$defs" || key == "$schema") {
      continue;
    }
    if (key == "properties" || key == "patternProperties") {
      out[key] = schema_map(kv.value().as_object(), defs);
    } else if (key == "items" || key == "additionalProperties" || key == "propertyNames" || key == "not") {
      out[key] = validation_keywords(kv.value(), defs);
    } else if (key == "anyOf" || key == "allOf" || key == "oneOf") {
      json::array all;
      for (const auto& sub : kv.value().as_array()) {
        all.push_back(validation_keywords(sub, defs));
      }
      out[key] = std::move(all);
    } else {
      out[key] = kv.value();
    }
  }
  return out;
}

json::value validation_keywords(const json::object& schema) {
  const json::value* defs = schema.if_contains("$defs");
  return validation_keywords(json::value(schema), defs ? defs->as_object() : json::object{});
}

TEST(JobRequestSchemaTest, AcceptsExactlyWhatTheGoldenValidationKeywordsAccept) {
  const json::value actual = validation_keywords(job_request_schema());
  const std::string path = std::string(GOLDEN_DIR) + "/job_request_schema_validation.json";
  if (std::getenv("NBS_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << test_support::pretty_json(actual);
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with NBS_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  // Compared as JSON values: the order of an object's members does not matter, that of arrays does.
  EXPECT_EQ(actual, json::parse(expected.str()))
      << "the schema now accepts something else than " << path << ":\n"
      << test_support::pretty_json(actual);
}

// The keywords SchemaDetail::advertised leaves to the parser.
bool is_limit(std::string_view key) {
  return key == "maxLength" || key == "minLength" || key == "pattern" || key == "maxItems" ||
         key == "uniqueItems" || key == "maxProperties" || key == "propertyNames" || key == "minimum" ||
         key == "maximum";
}

// `schema` (as validation_keywords() gives it) without its limits, at every depth; counts them.
// `nested`: below the top level, where the advertised detail does not close objects either.
json::value without_limits(const json::value& node, std::size_t& dropped, bool nested = false) {
  if (!node.is_object()) {
    return node;
  }
  json::object out;
  for (const auto& kv : node.as_object()) {
    if (is_limit(kv.key()) || (nested && kv.key() == "additionalProperties" && kv.value() == false)) {
      ++dropped;
    } else if (kv.key() == "properties") {
      json::object properties;
      for (const auto& p : kv.value().as_object()) {
        properties[p.key()] = without_limits(p.value(), dropped, true);
      }
      out[kv.key()] = std::move(properties);
    } else if (kv.key() == "items" || kv.key() == "additionalProperties") {
      out[kv.key()] = without_limits(kv.value(), dropped, true);
    } else if (kv.key() == "$defs") {
      json::object defs;
      for (const auto& d : kv.value().as_object()) {
        defs[d.key()] = without_limits(d.value(), dropped, true);
      }
      out[kv.key()] = std::move(defs);
    } else {
      out[kv.key()] = kv.value();
    }
  }
  return out;
}

// submitJob advertises the same fields, types, required fields and top-level refusal of unknown fields
// as the full schema, and nothing else is left out than the limits and the nested refusals (which the
// parser still enforces) and the deprecated aliases (which it still reads).
TEST(JobRequestSchemaTest, TheAdvertisedSchemaIsTheFullOneWithoutItsLimits) {
  std::size_t dropped = 0;
  json::value full = without_limits(validation_keywords(job_request_schema(SchemaDetail::full)), dropped);
  EXPECT_GT(dropped, 50u);
  for (const char* alias : {"test_commands", "test_entry_point", "platform"}) {
    EXPECT_TRUE(full.as_object()["properties"].as_object().erase(alias)) << alias;
  }
  std::size_t left = 0;
  const json::value advertised =
      without_limits(validation_keywords(job_request_schema(SchemaDetail::advertised)), left);
  EXPECT_EQ(left, 0u) << test_support::pretty_json(
      validation_keywords(job_request_schema(SchemaDetail::advertised)));
  EXPECT_EQ(advertised, full) << test_support::pretty_json(advertised);
}

TEST(JobRequestSchemaTest, IsADraft202012ObjectSchemaWithTheRequiredFields) {
  const json::object schema = job_request_schema();
  EXPECT_EQ(schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");
  EXPECT_EQ(schema.at("type"), "object");
  EXPECT_EQ(schema.at("additionalProperties"), false);
  EXPECT_EQ(schema.at("required"), (json::array{"owner", "repo_url", "registry_url"}));
  EXPECT_EQ(schema.at("properties").at("git_ref").at("default"), "main");
  EXPECT_EQ(schema.at("properties").at("dockerfile_path").at("default"), "Dockerfile");
}

TEST(JobRequestSchemaTest, EverySchemaPropertyIsAFieldTheParserReads) {
  std::set<std::string> paths;
  collect_paths(validation_keywords(job_request_schema()).as_object(), "", paths);
  ASSERT_GT(paths.size(), 40u);
  for (const auto& path : paths) {
    json::object request = valid_request();
    // A value of a type no field accepts: the parser must complain about this path (or an item of it),
    // and not call it unknown.
    set_path(request, path, json::array{json::array{}});
    auto parsed = parse_job_request(request);
    ASSERT_FALSE(parsed) << path << " accepted a nested array";
    bool found = false;
    for (const auto& f : parsed.error().fields) {
      if (f.path == path || f.path.starts_with(path + "[") || f.path.starts_with(path + ".")) {
        found = true;
        EXPECT_NE(f.reason, "unknown field") << f.path;
      }
    }
    EXPECT_TRUE(found) << path << ": " << parsed.error().describe();
  }
}

TEST(JobRequestSchemaTest, EveryFieldTheParserAcceptsIsInTheSchema) {
  // A request using every field (including the deprecated aliases) is accepted...
  json::value full = json::parse(R"({
    "owner": "a", "repo_url": "https://h/r.git", "git_ref": "v1", "git_credentials_path": "secret/git",
    "dockerfile_path": "Dockerfile", "dockerfile_context": "src", "image_name": "r", "image_tags": ["t"],
    "registry_url": "h:5000", "registry_credentials_path": "secret/reg", "build_args": {"A": "1"},
    "target": "final", "platform": "linux/amd64",
    "test": {"commands": ["true"], "env": {"E": "1"}, "timeout": "5m",
             "resource_limits": {"cpu": 100, "memory": 128, "disk": 100},
             "vault_secrets": [{"path": "secret/x", "fields": {"pw": "PW"}}], "gpu_count": 1,
             "constraints": [{"attribute": "${attr.kernel.name}", "operand": "=", "value": "linux"}]},
    "resource_limits": {"cpu": 100, "memory": 128, "disk": 100, "build": {"cpu": 100, "memory": 128, "disk": 100},
                        "test": {"cpu": 100}, "publish": {"cpu": 100}},
    "build_timeout": "10m", "clear_cache": true, "webhook_url": "https://hooks/x", "webhook_secret": "s",
    "webhook_on_success": false, "webhook_on_failure": true, "webhook_headers": {"X-A": "b"},
    "test_entry_point": true
  })");
  auto parsed = parse_job_request(full);
  ASSERT_TRUE(parsed) << parsed.error().describe();

  std::set<std::string> schema_paths;
  collect_paths(validation_keywords(job_request_schema()).as_object(), "", schema_paths);
  // ...and every key in it, at every depth, is a schema property (maps' own keys excepted).
  std::set<std::string> request_paths;
  collect_paths(json::object{{"properties", json::object{}}}, "", request_paths);
  std::function<void(const json::object&, const std::string&)> walk = [&](const json::object& o,
                                                                          const std::string& p) {
    for (const auto& kv : o) {
      const std::string path = p.empty() ? std::string(kv.key()) : p + "." + std::string(kv.key());
      EXPECT_TRUE(schema_paths.count(path)) << path << " is accepted but not in the schema";
      const bool is_map = path.ends_with("build_args") || path.ends_with("env") || path.ends_with("fields") ||
                          path.ends_with("webhook_headers");
      if (kv.value().is_object() && !is_map) {
        walk(kv.value().as_object(), path);
      } else if (kv.value().is_array() && !kv.value().as_array().empty() &&
                 kv.value().as_array()[0].is_object()) {
        walk(kv.value().as_array()[0].as_object(), path + "[0]");
      }
    }
  };
  walk(full.as_object(), "");

  // A name that is not in the schema is refused as unknown, at every level.
  for (const auto& path : schema_paths) {
    if (path.ends_with("test") || path.ends_with("resource_limits") || path == "resource_limits.build") {
      json::object request = valid_request();
      set_path(request, path + ".not_a_field", 1);
      auto refused = parse_job_request(request);
      ASSERT_FALSE(refused) << path;
      EXPECT_EQ(refused.error().fields.back().path, path + ".not_a_field");
      EXPECT_EQ(refused.error().fields.back().reason, "unknown field");
    }
  }
}

}  // namespace
}  // namespace nbs
