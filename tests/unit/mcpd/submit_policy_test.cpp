#include "mcpd/submit_policy.hpp"

#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"

namespace nbs::mcpd {
namespace {

JobRequest request(const std::string& extra) {
  auto parsed = parse_job_request_json(R"({"owner": "alice", "repo_url": "https://git.example.com/a.git",
                                           "registry_url": "r.example.com:5000", "image_name": "a")" +
                                       extra + "}");
  EXPECT_TRUE(parsed) << parsed.error().describe();
  return parsed ? *parsed : JobRequest{};
}

std::vector<std::string> paths(const std::vector<FieldError>& errors) {
  std::vector<std::string> out;
  out.reserve(errors.size());
  for (const auto& e : errors) {
    out.push_back(e.path + ": " + e.reason);
  }
  return out;
}

TEST(SubmitPolicy, AnOrdinaryRequestPasses) {
  EXPECT_TRUE(check_submit(request(""), "", SubmitPolicy{}).empty());
}

TEST(SubmitPolicy, WebhooksIntoTheDaemonsNetworkAreRefusedAtSubmit) {
  for (const char* url : {"http://169.254.169.254/latest", "http://127.0.0.1:9/x", "http://[::1]/x",
                          "http://10.0.0.8/x", "http://localhost:8080/x", "http://a.localhost/x",
                          "http://[::ffff:127.0.0.1]/x", "https://192.168.1.1/x", "http://0.0.0.0/x"}) {
    auto errors =
        check_submit(request(std::string(R"(, "webhook_url": ")") + url + "\""), "", SubmitPolicy{});
    ASSERT_EQ(errors.size(), 1u) << url;
    EXPECT_EQ(errors[0].path, "webhook_url") << url;
    EXPECT_NE(errors[0].reason.find("webhook_allow_private"), std::string::npos) << errors[0].reason;
  }
  // Public addresses and names pass (a name is checked again at each delivery).
  for (const char* url : {"https://hooks.example.com/x", "http://93.184.216.34/x"}) {
    EXPECT_TRUE(
        check_submit(request(std::string(R"(, "webhook_url": ")") + url + "\""), "", SubmitPolicy{}).empty())
        << url;
  }
  SubmitPolicy allow{.webhook_targets = PrivateTargets::allow};
  EXPECT_TRUE(check_submit(request(R"(, "webhook_url": "http://127.0.0.1:9/x")"), "", allow).empty());
}

TEST(SubmitPolicy, FileRepositoriesOnlyFromAllowedDirectoriesAndNeverTheCache) {
  const std::string cache_repo = R"(, "repo_url": "file:///var/lib/nbs/cache/git/abc.git")";
  const std::string allowed_repo = R"(, "repo_url": "file:///srv/repos/app.git")";
  const std::string escape = R"(, "repo_url": "file:///srv/repos/../../etc/x.git")";
  // None allowed by default.
  auto errors = paths(check_submit(request(allowed_repo), "", SubmitPolicy{}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("repo_url: file:// repositories are refused"), std::string::npos) << errors[0];
  SubmitPolicy policy{.file_repo_roots = {"/srv/repos", "/var/lib/nbs"},
                      .private_dirs = {"/var/lib/nbs/cache"}};
  EXPECT_TRUE(check_submit(request(allowed_repo), "", policy).empty());
  errors = paths(check_submit(request(cache_repo), "", policy));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("state or cache"), std::string::npos) << errors[0];
  errors = paths(check_submit(request(escape), "", policy));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("outside the directories"), std::string::npos) << errors[0];
  // Other schemes are none of this policy's business.
  EXPECT_TRUE(check_submit(request(""), "", SubmitPolicy{}).empty());
}

TEST(SubmitPolicy, ACacheOutsideTheJobsImagePathIsAFieldError) {
  EXPECT_TRUE(check_submit(request(R"(, "cache": {})"), "", SubmitPolicy{}).empty());
  EXPECT_TRUE(check_submit(request(R"(, "cache": {"registry_ref": "r.example.com:5000/a/cache"})"), "",
                           SubmitPolicy{})
                  .empty());
  auto errors =
      check_submit(request(R"(, "cache": {"registry_ref": "evil.example.com/a/cache"})"), "", SubmitPolicy{});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "cache.registry_ref");
  EXPECT_NE(errors[0].reason.find("r.example.com:5000/a/<name>"), std::string::npos) << errors[0].reason;
  // The daemon's cache registry, only under this job's image path.
  SubmitPolicy shared{.build_cache_repository = "cache.example.com/nbs"};
  EXPECT_TRUE(
      check_submit(request(R"(, "cache": {"registry_ref": "cache.example.com/nbs/a"})"), "", shared).empty());
  errors = check_submit(request(R"(, "cache": {"registry_ref": "cache.example.com/nbs/b"})"), "", shared);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "cache.registry_ref");
}

// Signatures need a store: a daemon without signature_store refuses `sign` at submit, naming it.
TEST(SubmitPolicy, SigningNeedsTheDaemonsSignatureStore) {
  const auto signed_job = request(R"(, "sign": {"key_ref": "file:signing.asc"})");
  EXPECT_EQ(
      paths(check_submit(signed_job, "", SubmitPolicy{})),
      std::vector<std::string>{"sign: this daemon keeps no image signatures (its signature_store is not "
                               "set): leave sign out, or ask the operator to set signature_store"});
  EXPECT_TRUE(check_submit(signed_job, "", SubmitPolicy{.signature_store = "/srv/sigstore"}).empty());
  EXPECT_TRUE(check_submit(request(""), "", SubmitPolicy{}).empty());
}

TEST(SubmitPolicy, AnAuthenticatedCallerSubmitsAsItself) {
  EXPECT_TRUE(check_submit(request(""), "alice", SubmitPolicy{}).empty());
  auto errors = check_submit(request(""), "mallory", SubmitPolicy{});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "owner");
  EXPECT_NE(errors[0].reason.find("'mallory'"), std::string::npos) << errors[0].reason;
}

}  // namespace
}  // namespace nbs::mcpd
