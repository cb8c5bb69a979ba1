// Overall step numbering across stages: the preflight's plan and Buildah's real output of a
// multi-stage build (captured from Buildah 1.28.2 on Debian 12), which builds only the stages the
// target uses, in an order of its own.
#include <span>

#include <gtest/gtest.h>

#include "runner/buildah_output.hpp"
#include "runner/dockerfile/preflight.hpp"

namespace nbs::runner {
namespace {

using dockerfile::BuildContext;
using dockerfile::check_dockerfile;
using dockerfile::PreflightOptions;

constexpr std::string_view k_dockerfile =
    "FROM scratch AS a\n"
    "COPY a.txt /a\n"
    "FROM a AS b\n"
    "COPY a.txt /b\n"
    "FROM scratch AS c\n"
    "COPY a.txt /c\n"
    "FROM scratch AS d\n"
    "COPY a.txt /d\n"
    "FROM scratch AS unused\n"
    "COPY a.txt /u\n"
    "FROM b\n"
    "COPY --from=c /c /c2\n"
    "COPY --from=3 /d /d2\n";

// `buildah bud --layers` of k_dockerfile, verbatim but for the ids.
constexpr std::string_view k_output[] = {
    "[1/6] STEP 1/2: FROM scratch AS a",
    "[1/6] STEP 2/2: COPY a.txt /a",
    "--> Using cache 604538e933dbb506918fc8001aeee7f91b8c1f400565899c425d585cd0274510",
    "--> 604538e933d",
    "[3/6] STEP 1/2: FROM scratch AS c",
    "[3/6] STEP 2/2: COPY a.txt /c",
    "--> cdb96e89601",
    "[4/6] STEP 1/2: FROM scratch AS d",
    "[4/6] STEP 2/2: COPY a.txt /d",
    "--> Using cache 8e562c7bb45041aa66660f4c9333aed853c21c34a5aaed218127d657a57e6dff",
    "--> 8e562c7bb45",
    "[2/6] STEP 1/2: FROM 604538e933dbb506918fc8001aeee7f91b8c1f400565899c425d585cd0274510 AS b",
    "[2/6] STEP 2/2: COPY a.txt /b",
    "--> 1f66d9733b0",
    "[6/6] STEP 1/3: FROM 1f66d9733b028a971e07b234864d9ccfce7bab513198bf242cfef0c705adc340",
    "[6/6] STEP 2/3: COPY --from=c /c /c2",
    "--> 9a10e17f924",
    "[6/6] STEP 3/3: COPY --from=3 /d /d2",
    "[6/6] COMMIT",
};

struct Seen {
  int k;
  int n;
  std::string text;
  friend bool operator==(const Seen&, const Seen&) = default;
};

std::ostream& operator<<(std::ostream& out, const Seen& s) {
  return out << s.k << "/" << s.n << " " << s.text;
}

// The step events the tracker makes of `output` (k_output by default).
std::vector<Seen> feed_all(BuildOutputTracker& tracker, std::span<const std::string_view> output = k_output) {
  std::vector<Seen> seen;
  for (auto line : output) {
    if (auto step = tracker.feed(LogStream::out, line)) {
      seen.push_back({step->overall_step, step->overall_steps, step_event_text(*step)});
    }
  }
  return seen;
}

TEST(BuildProgressTest, StepsAreNumberedAcrossTheStagesBuildahBuilds) {
  auto report = check_dockerfile(k_dockerfile, PreflightOptions{}, BuildContext{});
  ASSERT_EQ(report.plan.total_steps, 11);  // a, b, c, d: 2 each; the last stage 3; `unused` skipped
  BuildOutputTracker tracker(report.plan);
  const std::string from_a = "FROM 604538e933dbb506918fc8001aeee7f91b8c1f400565899c425d585cd0274510 AS b";
  const std::string from_b = "FROM 1f66d9733b028a971e07b234864d9ccfce7bab513198bf242cfef0c705adc340";
  std::vector<Seen> expected{{1, 11, "[a] FROM scratch AS a"},
                             {2, 11, "[a] COPY a.txt /a"},
                             {3, 11, "[c] FROM scratch AS c"},
                             {4, 11, "[c] COPY a.txt /c"},
                             {5, 11, "[d] FROM scratch AS d"},
                             {6, 11, "[d] COPY a.txt /d"},
                             {7, 11, "[b] " + from_a},
                             {8, 11, "[b] COPY a.txt /b"},
                             {9, 11, "[5] " + from_b},
                             {10, 11, "[5] COPY --from=c /c /c2"},
                             {11, 11, "[5] COPY --from=3 /d /d2"}};
  EXPECT_EQ(feed_all(tracker), expected);
}

// The plan knows each step's Dockerfile line, whatever order Buildah builds the stages in: the failing
// step's line is failure.location.
TEST(BuildProgressTest, EachStepKnowsItsDockerfileLine) {
  auto report = check_dockerfile(k_dockerfile, PreflightOptions{}, BuildContext{});
  BuildOutputTracker tracker(report.plan);
  std::vector<int> lines;
  for (auto line : k_output) {
    if (auto step = tracker.feed(LogStream::out, line)) {
      lines.push_back(step->line);
    }
  }
  EXPECT_EQ(lines, (std::vector<int>{1, 2, 5, 6, 7, 8, 3, 4, 11, 12, 13}));
  ASSERT_TRUE(tracker.last_step());
  EXPECT_EQ(tracker.last_step()->line, 13);
  EXPECT_EQ(tracker.last_step()->instruction, "COPY --from=3 /d /d2");
}

// `--label` makes Buildah add a LABEL step per label after the final stage's own steps (1.28.2, verbatim
// but for the ids): they are the service's, so neither progress nor counted steps nor cache hits.
TEST(BuildProgressTest, LabelStepsBuildahAddsAreNotStepsOfTheBuild) {
  auto report = check_dockerfile("FROM scratch AS a\nCOPY a /a\nFROM scratch\nCOPY --from=a /a /a2\n",
                                 PreflightOptions{}, BuildContext{});
  ASSERT_EQ(report.plan.total_steps, 4);
  BuildOutputTracker tracker(report.plan);
  constexpr std::string_view output[] = {
      "[1/2] STEP 1/2: FROM scratch AS a",
      "[1/2] STEP 2/2: COPY a /a",
      "--> Using cache 5a746359a034238160339ded9186266f5fbe4bb7a876d6671d75c143694b348c",
      "[2/2] STEP 1/4: FROM scratch",
      "[2/2] STEP 2/4: COPY --from=a /a /a2",
      "--> 67314b523a2",
      "[2/2] STEP 3/4: LABEL \"org.opencontainers.image.source\"=\"file:///x\"",
      "--> Using cache 9489e9d073975a1b7d0c3c6ee1a3b8c0f8e66d2b9c1ea9e3f0f7c1b3a5d6e7f8",
      "[2/2] STEP 4/4: LABEL \"team\"=\"a\"",
      "[2/2] COMMIT t:three",
  };
  const std::vector<Seen> seen = feed_all(tracker, output);
  const std::vector<Seen> expected{{1, 4, "[a] FROM scratch AS a"},
                                   {2, 4, "[a] COPY a /a"},
                                   {3, 4, "[1] FROM scratch"},
                                   {4, 4, "[1] COPY --from=a /a /a2"}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(tracker.steps_seen(), 4);
  EXPECT_EQ(tracker.cached_steps(), 1);
  ASSERT_TRUE(tracker.last_step());
  EXPECT_EQ(tracker.last_step()->instruction, "COPY --from=a /a /a2");
  // A failing step's header counts the Dockerfile's steps, not Buildah's LABEL steps.
  EXPECT_EQ(tracker.current_step(), "[2/2] STEP 2/2: COPY --from=a /a /a2");
}

// Without a plan (the preflight skipped a Dockerfile that links out of the repository) the tracker knows
// how many LABEL steps the build adds, and Buildah appends them to the last stage.
TEST(BuildProgressTest, WithoutAPlanTheLabelStepsAreStillNotSteps) {
  BuildOutputTracker tracker;
  tracker.expect_label_steps(2);
  constexpr std::string_view output[] = {
      "STEP 1/4: FROM scratch",
      "STEP 2/4: COPY a.txt /a",
      "STEP 3/4: LABEL \"org.opencontainers.image.source\"=\"file:///x\"",
      "STEP 4/4: LABEL \"org.opencontainers.image.revision\"=\"66d46fb12c07583bc80cb91ba63a7d0160e4f562\"",
      "COMMIT t",
  };
  const std::vector<Seen> seen = feed_all(tracker, output);
  const std::vector<Seen> expected{{1, 2, "FROM scratch"}, {2, 2, "COPY a.txt /a"}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(tracker.current_step(), "STEP 2/2: COPY a.txt /a");
}

}  // namespace
}  // namespace nbs::runner
