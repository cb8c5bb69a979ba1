#include "common/image_labels.hpp"

#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"

namespace nbs {
namespace {

TEST(ImageLabelsTest, ProvenanceFromTheJobThenTheJobsOwnLabels) {
  auto request = parse_job_request_json(R"({"owner":"a","repo_url":"https://git.example.com/team/app.git",
      "registry_url":"h/app","labels":{"team":"builds","org.opencontainers.image.title":"app"}})");
  ASSERT_TRUE(request) << request.error().describe();
  const auto created = parse_utc("2026-12-07T16:00:00.000Z");
  ASSERT_TRUE(created);
  const std::vector<std::pair<std::string, std::string>> expected{
      {"org.opencontainers.image.source", "https://git.example.com/team/app.git"},
      {"org.opencontainers.image.revision", "40fab1b9826c128a1b3f841ae2c52c1230f797c1"},
      {"org.opencontainers.image.created", "2026-12-07T16:00:00.000Z"},
      {"org.opencontainers.image.title", "app"},
      {"team", "builds"}};
  EXPECT_EQ(image_labels(*request, "40fab1b9826c128a1b3f841ae2c52c1230f797c1", *created), expected);
}

TEST(ImageLabelsTest, OnlyTheThreeProvenanceKeysAreTheServices) {
  EXPECT_TRUE(is_provenance_label("org.opencontainers.image.source"));
  EXPECT_TRUE(is_provenance_label("org.opencontainers.image.revision"));
  EXPECT_TRUE(is_provenance_label("org.opencontainers.image.created"));
  EXPECT_FALSE(is_provenance_label("org.opencontainers.image.title"));
  EXPECT_FALSE(is_provenance_label("org.opencontainers.image.source.extra"));
}

}  // namespace
}  // namespace nbs
