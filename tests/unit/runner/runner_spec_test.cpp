#include "common/runner_spec.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"

namespace nbs {
namespace {

namespace json = boost::json;

JobRequest sample_request(bool with_tests) {
  std::string text = R"({"owner":"agent","repo_url":"http://127.0.0.1:8081/repo.git","git_ref":"v1.0",
      "registry_url":"127.0.0.1:5000","image_name":"team/app","image_tags":["latest"])";
  text += with_tests ? R"(,"test":{"commands":["true"]}})" : "}";
  auto r = parse_job_request_json(text);
  EXPECT_TRUE(r) << (r ? "" : r.error().describe());
  return *r;
}

RunnerSpec sample_spec() {
  RunnerSpec s;
  s.job_id = "3f2b9c1e-0000-4000-8000-000000000001";
  s.request = sample_request(true);
  s.temp_image = temp_image_reference(s.request, s.job_id);
  s.final_images = final_image_references(s.request, s.job_id);
  s.cache_dir = "/var/cache/nbs";
  s.work_dir = "/alloc/work";
  s.result_path = "/alloc/nbs/result-build.json";
  s.credentials.git_token_file = "/secrets/git-token";
  s.credentials.registry_auth_file = "/secrets/auth.json";
  s.deadline = parse_utc("2026-11-26T19:24:44.000Z");
  s.storage_driver = StorageDriver::vfs;
  s.build_user = "build";
  s.registries_conf = "/etc/nbs/registries.conf";
  return s;
}

TEST(RunnerSpecTest, RoundTripsThroughJson) {
  RunnerSpec s = sample_spec();
  auto text = json::serialize(to_json(s));
  auto back = parse_runner_spec_json(text);
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(*back, s);
}

TEST(RunnerSpecTest, ImageReferencesAndPushTargets) {
  RunnerSpec s = sample_spec();
  EXPECT_EQ(s.temp_image, "127.0.0.1:5000/team/app:tmp-3f2b9c1e-0000-4000-8000-000000000001");
  ASSERT_EQ(s.final_images.size(), 2u);
  EXPECT_EQ(s.final_images[0], "127.0.0.1:5000/team/app:3f2b9c1e-0000-4000-8000-000000000001");
  EXPECT_EQ(s.final_images[1], "127.0.0.1:5000/team/app:latest");
  EXPECT_EQ(s.push_targets(), std::vector<std::string>{s.temp_image});
  s.request = sample_request(false);
  EXPECT_EQ(s.push_targets(), s.final_images);
}

TEST(RunnerSpecTest, ErrorsNameEveryBadField) {
  json::object o = to_json(sample_spec());
  o["cache_dir"] = "relative/dir";
  o["storage_driver"] = "btrfs";
  o["deadline"] = "tomorrow";
  o["phase"] = "test";
  o["surprise"] = 1;
  o["request"].as_object()["repo_url"] = 5;
  o["credentials"].as_object()["git_token_file"] = "token.txt";
  auto r = parse_runner_spec(o);
  ASSERT_FALSE(r);
  std::vector<FieldError> expected{
      {"phase", "must be one of build, publish, cleanup"},
      {"storage_driver", "must be overlay or vfs"},
      {"deadline", "must be UTC time like 2026-11-26T18:54:44.123Z"},
      {"request.repo_url", "must be a string, not a number"},
      {"cache_dir", "must be an absolute path"},
      {"credentials.git_token_file", "must be an absolute path"},
      {"surprise", "is not a known field"},
  };
  EXPECT_EQ(r.error().fields, expected) << r.error().describe();
  EXPECT_EQ(r.error().kind, ErrorKind::invalid_argument);
}

TEST(RunnerSpecTest, PhaseNeedsItsFields) {
  json::object o = to_json(sample_spec());
  o.erase("temp_image");
  o.erase("cache_dir");
  auto r = parse_runner_spec(o);
  ASSERT_FALSE(r);
  std::vector<FieldError> expected{{"temp_image", "is required for this phase"},
                                   {"cache_dir", "is required for the build phase"}};
  EXPECT_EQ(r.error().fields, expected);
  EXPECT_FALSE(parse_runner_spec_json("{not json"));
  EXPECT_EQ(parse_runner_spec_json("[]").error().message, "spec: must be a JSON object");
  o = to_json(sample_spec());
  o["version"] = 2;
  EXPECT_EQ(parse_runner_spec(o).error().fields.at(0), (FieldError{"version", "must be 1"}));
}

// A job with `sign` pushes to the temp image even without tests (publish signs each final tag), and its
// publish needs the store and the key.
TEST(RunnerSpecTest, SigningNeedsTheTempImageAStoreAndAKey) {
  RunnerSpec s = sample_spec();
  s.request = sample_request(false);
  s.request.sign = SignConfig{"file:signing.asc"};
  EXPECT_EQ(s.push_targets(), std::vector<std::string>{s.temp_image});
  s.phase = Phase::publish;
  auto missing = parse_runner_spec(to_json(s));
  ASSERT_FALSE(missing);
  std::vector<FieldError> expected{
      {"signature_store", "is required to publish a job with sign"},
      {"credentials.signing_key_file", "is required to publish a job with sign"}};
  EXPECT_EQ(missing.error().fields, expected);
  s.signature_store = "/srv/sigstore";
  s.credentials.signing_key_file = "/secrets/signing-key";
  auto back = parse_runner_spec(to_json(s));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(*back, s);
  json::object o = to_json(s);
  o["signature_store"] = "sigstore";
  EXPECT_EQ(parse_runner_spec(o).error().fields.at(0),
            (FieldError{"signature_store", "must be an absolute path"}));
}

}  // namespace
}  // namespace nbs
