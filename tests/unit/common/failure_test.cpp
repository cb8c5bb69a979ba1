#include "common/failure.hpp"

#include <gtest/gtest.h>

namespace nbs {
namespace {

TEST(FailureClass, EveryClassReadsBackFromItsName) {
  for (int i = 0; i <= static_cast<int>(FailureClass::internal); ++i) {
    const auto c = static_cast<FailureClass>(i);
    EXPECT_EQ(parse_failure_class(to_string(c)), c) << to_string(c);
  }
  EXPECT_FALSE(parse_failure_class("Build_Step_Failed"));
  EXPECT_FALSE(parse_failure_class(""));
}

TEST(ToolNoise, BuildahAndPodmanNarrationIsNoise) {
  for (const char* line :
       {"$ buildah --root /x bud --layers .", "STEP 1/3: FROM busybox", "[2/2] STEP 4/7: RUN make",
        "--> Using cache 0e5141a848f5dffacf767cd0816373b94a48391313814", "--> 0e5141a848f5",
        "COMMIT localhost/nbs/x:build", "Trying to pull 127.0.0.1:5000/base/busybox:1...",
        "Getting image source signatures", "Copying blob sha256:abc", "Copying config sha256:def",
        "Writing manifest to image destination", "Storing signatures",
        "0e5141a848f5dffacf767cd0816373b94a48391313814d7755349ec2bed673f6", "", "   "}) {
    EXPECT_TRUE(is_tool_noise(line)) << line;
  }
}

TEST(ToolNoise, WhatABuildStepOrATestPrintsIsNever) {
  for (const char* line :
       {"make: *** [all] Error 3", "FAIL: test_login (3 assertions)", "STEP one: write the tests",
        "STEP 3 of 4", "[ERROR] STEP failed", "--> deploying", "time=\"2026\" level=error msg=boom",
        "WARN[0000] my app warns", "Error: building at STEP \"RUN make\": exit status 3",
        "subprocess exited with status 1", "$HOME is not set", "git: fatal: not a repository"}) {
    EXPECT_FALSE(is_tool_noise(line)) << line;
  }
}

TEST(Evidence, KeepsTheLastLinesThatAreNotNoiseInOrder) {
  std::vector<std::string> lines{"Trying to pull x", "first",          "STEP 2/2: RUN make",
                                 "second",           "Copying blob y", "third"};
  EXPECT_EQ(pick_evidence(lines), (std::vector<std::string>{"first", "second", "third"}));
}

// A tool's final "Error: …" line that the summary already quotes is not repeated: for a refused push
// (Buildah 1.28, the e2e failure corpus) the two copies alone made getStatus exceed 2 KiB. The user's own
// lines stay even when the summary mentions their words.
TEST(Evidence, DropsTheErrorLineTheSummaryAlreadyQuotes) {
  const std::string error =
      "pushing image \"localhost/nbs/j:build\" to \"docker://127.0.0.1:5000/corpus/a:j\": trying to reuse "
      "blob sha256:5e91 at destination: checking whether a blob sha256:5e91 exists in "
      "127.0.0.1:5000/corpus/a: unauthorized: authentication required";
  const std::vector<std::string> lines{"built", "Error: " + error};
  EXPECT_EQ(pick_evidence(lines, "buildah push: " + error), (std::vector<std::string>{"built"}));
  EXPECT_EQ(pick_evidence(lines, "buildah push: something else"), lines);
  EXPECT_EQ(pick_evidence({"built", "done"}, "built and done"), (std::vector<std::string>{"built", "done"}));
}

// Buildah 1.28 prints "subprocess exited with status 3" twice for one failing RUN (the e2e failure
// corpus); evidence says it once, where it last came.
TEST(Evidence, SaysBuildahsExitStatusLineOnce) {
  const std::vector<std::string> lines{"MARKER-42", "subprocess exited with status 3",
                                       "subprocess exited with status 3", "after"};
  EXPECT_EQ(pick_evidence(lines),
            (std::vector<std::string>{"MARKER-42", "subprocess exited with status 3", "after"}));
  EXPECT_EQ(pick_evidence({"a", "a"}), (std::vector<std::string>{"a", "a"})) << "the user's own lines stay";
  // A RUN stopped at its deadline: "on terminated", also twice.
  EXPECT_EQ(
      pick_evidence({"MARKER-42", "subprocess exited on terminated", "subprocess exited on terminated"}),
      (std::vector<std::string>{"MARKER-42", "subprocess exited on terminated"}));
}

TEST(Evidence, IsBoundedInLinesAndBytesAndCutsOnlyBetweenCharacters) {
  std::vector<std::string> many;
  many.reserve(100);
  for (int i = 0; i < 100; ++i) {
    many.push_back("line " + std::to_string(i));
  }
  const auto picked = pick_evidence(many);
  ASSERT_EQ(picked.size(), k_max_evidence_lines);
  EXPECT_EQ(picked.back(), "line 99");
  EXPECT_EQ(picked.front(), "line 80");

  std::string wide;
  for (int i = 0; i < 1000; ++i) {
    wide += "é";  // two bytes each
  }
  const auto cut = pick_evidence({"before", wide});
  std::size_t bytes = 0;
  for (const auto& l : cut) {
    bytes += l.size();
  }
  EXPECT_LE(bytes, k_max_evidence_bytes);
  ASSERT_FALSE(cut.empty());
  const std::string& last = cut.back();
  ASSERT_TRUE(last.ends_with("..."));
  const std::string body = last.substr(0, last.size() - 3);
  EXPECT_EQ(body.size() % 2, 0U) << "a UTF-8 sequence was cut in half";
}

TEST(Failure, RoundTripsThroughJson) {
  const Failure f{.failure_class = FailureClass::copy_source_missing,
                  .phase = "build",
                  .task = "runner",
                  .summary = "Dockerfile:3: COPY source app.txt is not in the build context",
                  .location = "Dockerfile:3",
                  .evidence = {"a", "b"}};
  EXPECT_EQ(parse_failure(to_json(f)), f);
  EXPECT_FALSE(to_json(Failure{}).contains("location")) << "no location, no field";
  EXPECT_EQ(parse_failure({{"class", "no_such_class"}}).failure_class, FailureClass::internal);
}

TEST(NextStep, NamesWhatToChangeForTheClass) {
  Failure f{.failure_class = FailureClass::registry_tls};
  EXPECT_NE(next_step_for(f).find("insecure"), std::string::npos);
  f = {.failure_class = FailureClass::build_step_failed, .location = "Dockerfile:7"};
  EXPECT_NE(next_step_for(f).find("Dockerfile:7"), std::string::npos);
  f = {.failure_class = FailureClass::test_failed, .task = "cmd-2"};
  EXPECT_NE(next_step_for(f).find("task=cmd-2"), std::string::npos);
  f = {.failure_class = FailureClass::internal};
  EXPECT_NE(next_step_for(f).find("not your repository"), std::string::npos);
}

// The deadline's advice names the job field that sets the phase's timeout, as the job schema spells it.
TEST(NextStep, DeadlineNamesTheTimeoutFieldOfThePhase) {
  Failure f{.failure_class = FailureClass::deadline, .phase = "build"};
  EXPECT_NE(next_step_for(f).find("build_timeout"), std::string::npos) << next_step_for(f);
  EXPECT_EQ(next_step_for(f).find("test.timeout"), std::string::npos) << next_step_for(f);
  f.phase = "test";
  EXPECT_NE(next_step_for(f).find("test.timeout"), std::string::npos) << next_step_for(f);
  EXPECT_EQ(next_step_for(f).find("build_timeout"), std::string::npos) << next_step_for(f);
}

}  // namespace
}  // namespace nbs
