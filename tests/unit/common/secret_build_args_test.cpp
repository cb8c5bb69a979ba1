#include "common/secret_build_args.hpp"

#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"

namespace nbs {
namespace {

JobRequest request_with_secret() {
  auto r = parse_job_request_json(R"({"owner":"a","repo_url":"https://h/r.git","registry_url":"h/app",
      "build_args":{"NPM_TOKEN":"npm_s3cret","A":"1"},"secret_build_args":["NPM_TOKEN"]})");
  EXPECT_TRUE(r) << r.error().describe();
  return *r;
}

TEST(SecretBuildArgsTest, TakenValuesReadAsMaskedAndComeBack) {
  JobRequest request = request_with_secret();
  const JobRequest original = request;
  const auto taken = take_secret_build_args(request);
  EXPECT_EQ(taken, (std::map<std::string, std::string>{{"NPM_TOKEN", "npm_s3cret"}}));
  EXPECT_EQ(request.build_args.at("NPM_TOKEN"), "***");
  EXPECT_EQ(request.build_args.at("A"), "1");
  // A record holding the masked value is still a valid request (the daemon reads records back).
  auto stored = parse_job_request(to_json(request));
  ASSERT_TRUE(stored) << stored.error().describe();
  EXPECT_EQ(*stored, request);
  restore_secret_build_args(request, taken);
  EXPECT_EQ(request, original);
}

TEST(SecretBuildArgsTest, RestoreSetsOnlyNamesMarkedSecret) {
  JobRequest request = request_with_secret();
  take_secret_build_args(request);
  restore_secret_build_args(request, {{"A", "changed"}, {"OTHER", "x"}});
  EXPECT_EQ(request.build_args.at("A"), "1");
  EXPECT_EQ(request.build_args.count("OTHER"), 0U);
  EXPECT_EQ(request.build_args.at("NPM_TOKEN"), "***");
}

TEST(SecretBuildArgsTest, EncodedValuesSurviveAnyByte) {
  const std::map<std::string, std::string> values = {
      {"NPM_TOKEN", "a\"quoted\" value\nwith {{ braces }} and \\ and \xc3\xa9"}, {"EMPTY_OK", ""}};
  const std::string encoded = encode_secret_build_args(values);
  // What a template writes is safe to embed anywhere: base64 only.
  EXPECT_EQ(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
            std::string::npos);
  auto decoded = decode_secret_build_args(encoded + "\n");
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, values);
}

TEST(SecretBuildArgsTest, DecodeNamesWhatIsWrong) {
  EXPECT_EQ(decode_secret_build_args("not base64!").error().message, "is not base64");
  EXPECT_EQ(decode_secret_build_args("WzFd").error().message, "does not decode to a JSON object");  // [1]
  EXPECT_EQ(decode_secret_build_args("eyJBIjoxfQ==").error().message, "the value of A is not a string");
}

}  // namespace
}  // namespace nbs
