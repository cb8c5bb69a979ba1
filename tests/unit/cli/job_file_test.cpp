// Reading and merging job files: YAML and JSON, --global defaults under the job, --image-tags, and
// errors that name the file and the line.
#include "cli/job_file.hpp"

#include <gtest/gtest.h>

#include "tests/unit/cli/testutil.hpp"

namespace nbs::cli {
namespace {

namespace json = boost::json;
using testing::TempDir;

json::object object(std::string_view text) {
  return json::parse(text).as_object();
}

TEST(MergeJob, JobWinsAndMappingsMergeRecursively) {
  const auto defaults = object(R"({"owner": "team", "registry_url": "reg:5000", "image_tags": ["a", "b"],
      "resource_limits": {"cpu": 500, "build": {"cpu": 2000, "memory": 4096}}, "clear_cache": true})");
  const auto job = object(R"({"owner": "me", "image_tags": ["c"],
      "resource_limits": {"build": {"memory": 8192}}, "clear_cache": false})");
  EXPECT_EQ(json::value(merge_job(defaults, job)), json::parse(R"({"owner": "me", "registry_url": "reg:5000",
      "image_tags": ["c"], "resource_limits": {"cpu": 500, "build": {"cpu": 2000, "memory": 8192}},
      "clear_cache": false})"));
}

TEST(MergeJob, NullInTheJobRemovesTheDefault) {
  const auto merged = merge_job(object(R"({"test": {"commands": ["make test"]}, "owner": "x"})"),
                                object(R"({"test": null})"));
  EXPECT_EQ(json::value(merged), json::parse(R"({"owner": "x"})"));
}

TEST(MergeJob, AMappingReplacesAScalarAndTheOtherWayRound) {
  EXPECT_EQ(json::value(merge_job(object(R"({"test": "x", "b": {"c": 1}})"),
                                  object(R"({"test": {"a": 1}, "b": 2})"))),
            json::parse(R"({"test": {"a": 1}, "b": 2})"));
}

TEST(SplitTags, TrimsAndDropsEmptyItems) {
  EXPECT_EQ(split_tags("a, b,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split_tags(""), std::vector<std::string>{});
  EXPECT_EQ(split_tags("v1"), std::vector<std::string>{"v1"});
}

TEST(ParseJobDocument, YamlAndJsonGiveTheSameObject) {
  auto yaml = parse_job_document("owner: me\nbuild_args:\n  A: \"1\"\nimage_tags: [x, y]\n", "job.yaml");
  auto js = parse_job_document(R"({"owner": "me", "build_args": {"A": "1"}, "image_tags": ["x", "y"]})",
                               "job.json");
  ASSERT_TRUE(yaml) << yaml.error().message;
  ASSERT_TRUE(js) << js.error().message;
  EXPECT_EQ(*yaml, *js);
}

TEST(ParseJobDocument, YamlFilesMayHoldJson) {
  auto doc = parse_job_document(R"({"owner": "me"})", "job.yaml");
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(json::value(*doc), json::parse(R"({"owner": "me"})"));
}

TEST(ParseJobDocument, YamlErrorsNameTheFileLineAndColumn) {
  auto dup = parse_job_document("owner: a\nrepo_url: x\nowner: b\n", "job.yaml");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(dup.error().message, "job.yaml:3:1: duplicate key 'owner'");

  auto bad = parse_job_document("owner: [a\n", "job.yaml");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().message.starts_with("job.yaml:")) << bad.error().message;

  auto two = parse_job_document("owner: a\n---\nowner: b\n", "g.yaml");
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().message, "g.yaml:2: expected one document, found a second");
}

TEST(ParseJobDocument, JsonErrorsNameTheFileLineAndColumn) {
  auto bad = parse_job_document("{\n  \"owner\": \"a\",\n  \"repo_url\": x\n}\n", "job.json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "job.json:3:15: syntax error");

  auto cut = parse_job_document("{\"owner\": \"a\"", "job.json");
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().message, "job.json:1:14: incomplete JSON");
}

TEST(ParseJobDocument, TheDocumentMustBeAMapping) {
  auto list = parse_job_document("- a\n- b\n", "job.yaml");
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().message, "job.yaml: must be a mapping of job fields, found a list");
  auto text = parse_job_document("\"just text\"", "job.json");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "job.json: must be a mapping of job fields, found a string");
}

TEST(ParseJobDocument, AnEmptyDocumentIsAnEmptyMapping) {
  auto empty = parse_job_document("# nothing yet\n", "g.yaml");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(LoadJob, GlobalDefaultsThenJobThenImageTags) {
  TempDir dir;
  const auto global = dir.write("global.yaml",
                                "owner: team\nregistry_url: reg:5000\nimage_tags: [latest]\n"
                                "resource_limits:\n  build:\n    cpu: 2000\n    memory: 4096\n");
  const auto job = dir.write("job.json", R"({"repo_url": "https://h/r.git", "image_name": "app",
      "resource_limits": {"build": {"memory": 8192}}})");
  std::istringstream no_stdin;
  auto merged = load_job({job, global, std::nullopt}, no_stdin);
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(json::value(*merged), json::parse(R"({"owner": "team", "registry_url": "reg:5000",
      "image_tags": ["latest"], "resource_limits": {"build": {"cpu": 2000, "memory": 8192}},
      "repo_url": "https://h/r.git", "image_name": "app"})"));

  auto tagged = load_job({job, global, std::string("v1,v2")}, no_stdin);
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->at("image_tags"), json::parse(R"(["v1", "v2"])"));
  auto untagged = load_job({job, global, std::string("")}, no_stdin);
  ASSERT_TRUE(untagged);
  EXPECT_EQ(untagged->at("image_tags"), json::array{});
}

TEST(LoadJob, ReadsTheJobFromStandardInput) {
  std::istringstream in("owner: piped\n");
  auto job = load_job({"-", "", std::nullopt}, in);
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(json::value(*job), json::parse(R"({"owner": "piped"})"));
  auto both = load_job({"-", "-", std::nullopt}, in);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().message, "--global: standard input is already the job file");
}

TEST(LoadJob, ErrorsNameTheFileAtFault) {
  TempDir dir;
  const auto job = dir.write("job.yaml", "owner: me\n");
  const auto global = dir.write("global.yaml", "owner: a\n  bad: indentation\n");
  std::istringstream no_stdin;
  auto broken_global = load_job({job, global, std::nullopt}, no_stdin);
  ASSERT_FALSE(broken_global);
  EXPECT_TRUE(broken_global.error().message.starts_with(global + ":2:")) << broken_global.error().message;

  const auto missing = (dir.path() / "missing.yaml").string();
  auto absent = load_job({missing, "", std::nullopt}, no_stdin);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(absent.error().message, missing + ": cannot read: No such file or directory");
}

}  // namespace
}  // namespace nbs::cli
