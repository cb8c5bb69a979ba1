#include "common/build_secrets.hpp"

#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"

namespace nbs {
namespace {

TEST(BuildSecretsTest, SourcesAreAFileNameOrAVaultPathAndField) {
  auto file = parse_build_secret_source("file:npmrc");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->kind, BuildSecretSource::Kind::file);
  EXPECT_EQ(file->name, "npmrc");
  auto vault = parse_build_secret_source("vault:secret/data/ci/npm#token");
  ASSERT_TRUE(vault);
  EXPECT_EQ(vault->kind, BuildSecretSource::Kind::vault);
  EXPECT_EQ(vault->path, "secret/data/ci/npm");
  EXPECT_EQ(vault->field, "token");
  for (const char* bad : {"", "npmrc", "file:", "file:a/b", "file:../x", "file:..", "file:.hidden",
                          "file:-rf", "vault:", "vault:secret/data/x", "vault:secret/data/x#", "vault:#f",
                          "vault:/abs#f", "vault:a/../b#f", "vault:a#f g", "s3:bucket/key", "FILE:npmrc"}) {
    EXPECT_FALSE(parse_build_secret_source(bad)) << bad;
  }
}

TEST(BuildSecretsTest, EntriesNameTheirFieldAndTheirFile) {
  auto request = parse_job_request_json(R"({"owner":"a","repo_url":"https://h/r.git","registry_url":"h/app",
      "build":{"secrets":[{"id":"npmrc","source":"file:npmrc"},{"id":"pip","source":"file:pip"}],
               "ssh":[{"id":"default","source":"file:key"}]}})");
  ASSERT_TRUE(request) << request.error().describe();
  const auto entries = build_secret_entries(*request);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].field, "build.secrets[0]");
  EXPECT_EQ(entries[0].file_name(), "secret-npmrc");
  EXPECT_EQ(entries[1].file_name(), "secret-pip");
  EXPECT_EQ(entries[2].field, "build.ssh[0]");
  EXPECT_EQ(entries[2].file_name(), "ssh-default");
  EXPECT_TRUE(entries[2].ssh);
}

// An SSH key and a secret may share an id (Buildah keeps them apart); two secrets may not.
TEST(BuildSecretsTest, AnIdRepeatsOnlyAcrossKinds) {
  auto request = parse_job_request_json(R"({"owner":"a","repo_url":"https://h/r.git","registry_url":"h/app",
      "build":{"secrets":[{"id":"default","source":"file:a"}],"ssh":[{"id":"default","source":"file:b"}]}})");
  EXPECT_TRUE(request) << request.error().describe();
}

}  // namespace
}  // namespace nbs
