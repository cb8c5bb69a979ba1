// Overall step numbering across stages: the preflight's plan and Buildah's real output of a
// multi-stage build (captured from Buildah 1.28.2 on Debian 12), which builds only the stages the
// target uses, in an order of its own.
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

std::vector<Seen> feed_all(BuildOutputTracker& tracker) {
  std::vector<Seen> seen;
  for (auto line : k_output) {
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

}  // namespace
}  // namespace nbs::runner
