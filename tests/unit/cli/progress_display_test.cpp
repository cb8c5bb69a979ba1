// The live progress line, the plain lines, and the summaries of finished jobs.
#include "cli/progress_display.hpp"

#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "cli/history_table.hpp"
#include "cli/status_report.hpp"

namespace nbs::cli {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

const SystemTime k_start = *parse_utc("2026-11-26T10:00:00.000Z");

json::object building(long long step) {
  return json::parse(R"({"job_id": "j1", "status": "BUILDING", "phase": "build",
      "times": {"job_start": "2026-11-26T10:00:00.000Z", "job_end": null},
      "progress": {"step": )" +
                     std::to_string(step) + R"(, "steps": 7, "text": "RUN make"}})")
      .as_object();
}

TEST(FormatElapsed, SecondsMinutesHours) {
  EXPECT_EQ(format_elapsed(seconds(7)), "7s");
  EXPECT_EQ(format_elapsed(seconds(65)), "1m05s");
  EXPECT_EQ(format_elapsed(seconds(2 * 3600 + 3 * 60 + 9)), "2h03m09s");
  EXPECT_EQ(format_elapsed(seconds(-4)), "0s");
}

TEST(StatusView, ReadsTheGetStatusAnswer) {
  const StatusView view = status_view(building(3));
  EXPECT_EQ(view.status, "BUILDING");
  EXPECT_EQ(view.phase, "build");
  EXPECT_EQ(view.step, 3);
  EXPECT_EQ(view.steps, 7);
  EXPECT_EQ(view.started, k_start);
  EXPECT_FALSE(view.ended);
  EXPECT_EQ(job_elapsed(view, k_start + seconds(65)), seconds(65));
}

TEST(ProgressText, StatusPhaseStep) {
  EXPECT_EQ(progress_text(status_view(building(3))), "BUILDING build  STEP 3/7 RUN make");
  EXPECT_EQ(progress_text(status_view(json::parse(R"({"status": "PENDING", "phase": null,
      "waiting_reason": "waiting for the build lock"})")
                                          .as_object())),
            "PENDING  (waiting for the build lock)");
  EXPECT_EQ(progress_text(status_view(json::parse(R"({"status": "TESTING", "phase": "test"})").as_object())),
            "TESTING test");
  EXPECT_EQ(progress_text(status_view(json::parse(R"({"status": "FAILED", "phase": "build"})").as_object())),
            "FAILED");
}

TEST(LiveLine, AddsTheTimeAndNeverWraps) {
  const StatusView view = status_view(building(3));
  EXPECT_EQ(live_line(view, seconds(65), 0), "BUILDING build  STEP 3/7 RUN make  1m05s");
  EXPECT_EQ(live_line(view, seconds(65), 22), "BUILDING build   1m05s");
  EXPECT_EQ(live_line(view, seconds(65), 22).size(), 22u);
}

TEST(LiveLine, CutsBetweenUtf8Characters) {
  StatusView view;
  view.status = "BUILDING";
  view.steps = 1;
  view.step = 1;
  view.step_text = "RUN echo ééé";
  const std::string line = live_line(view, seconds(1), 33);
  EXPECT_EQ(line, "BUILDING  STEP 1/1 RUN echo é  1s");
}

TEST(PlainLine, TimeFirst) {
  EXPECT_EQ(plain_line(status_view(building(2)), seconds(3)), "[3s] BUILDING build  STEP 2/7 RUN make");
}

TEST(ProgressDisplay, PlainPrintsOnlyWhatChanged) {
  std::ostringstream out;
  SystemTime now = k_start + seconds(5);
  ProgressDisplay display(out, DisplayMode::plain, 0, [&now] { return now; });
  display.update(building(1));
  now += seconds(30);
  display.update(building(1));  // the same step: nothing new to say
  display.tick();
  display.update(building(2));
  display.finish();
  EXPECT_EQ(out.str(), "[5s] BUILDING build  STEP 1/7 RUN make\n[35s] BUILDING build  STEP 2/7 RUN make\n");
}

TEST(ProgressDisplay, LiveRewritesOneLine) {
  std::ostringstream out;
  SystemTime now = k_start + seconds(5);
  ProgressDisplay display(out, DisplayMode::live, 0, [&now] { return now; });
  display.update(building(1));
  now += seconds(1);
  display.tick();
  display.finish();
  display.finish();  // a second finish adds nothing
  EXPECT_EQ(out.str(),
            "\r\033[KBUILDING build  STEP 1/7 RUN make  5s\r\033[KBUILDING build  STEP 1/7 RUN make  6s\n");
}

TEST(ProgressDisplay, ClearErasesTheLiveLine) {
  std::ostringstream out;
  ProgressDisplay display(out, DisplayMode::live, 0, [] { return k_start; });
  display.clear();  // nothing drawn yet: nothing to erase
  display.update(building(1));
  display.clear();
  display.finish();
  EXPECT_EQ(out.str(), "\r\033[KBUILDING build  STEP 1/7 RUN make  0s\r\033[K");
}

TEST(Summary, SucceededListsImagesAndDigest) {
  const auto answer = json::parse(R"({"job_id": "j1", "status": "SUCCEEDED", "phase": null,
      "times": {"job_start": "2026-11-26T10:00:00.000Z", "job_end": "2026-11-26T10:01:05.000Z"},
      "images": ["reg:5000/team/app:j1", "reg:5000/team/app:v1"], "digest": "sha256:feed"})")
                          .as_object();
  EXPECT_EQ(format_summary(answer, k_start + seconds(999)),
            "SUCCEEDED in 1m05s\n"
            "  image:  reg:5000/team/app:j1\n"
            "  image:  reg:5000/team/app:v1\n"
            "  digest: sha256:feed\n");
  auto index = answer;
  index["platforms"] = {{"linux/amd64", "sha256:a"}, {"linux/arm64", "sha256:b"}};
  EXPECT_EQ(format_summary(index, k_start),
            "SUCCEEDED in 1m05s\n"
            "  image:  reg:5000/team/app:j1\n"
            "  image:  reg:5000/team/app:v1\n"
            "  digest: sha256:feed\n"
            "    linux/amd64: sha256:a\n"
            "    linux/arm64: sha256:b\n");
}

TEST(Summary, FailedShowsPhaseErrorExcerptAndHint) {
  const auto answer = json::parse(R"({"job_id": "j1", "status": "FAILED", "failed_phase": "build",
      "error": "build: exit code 11", "excerpt": ["STEP 3/7: RUN make", "make: *** [all] Error 1"],
      "times": {"job_start": "2026-11-26T10:00:00.000Z", "job_end": "2026-11-26T10:00:03.000Z"}})")
                          .as_object();
  EXPECT_EQ(format_summary(answer, k_start),
            "FAILED in the build phase after 3s: build: exit code 11\n"
            "  | STEP 3/7: RUN make\n"
            "  | make: *** [all] Error 1\n"
            "The whole log: nbs logs j1 --phase build\n");
}

TEST(Summary, KilledAndStillRunning) {
  const auto killed = json::parse(R"({"job_id": "j1", "status": "KILLED",
      "times": {"job_start": "2026-11-26T10:00:00.000Z", "job_end": "2026-11-26T10:00:12.000Z"}})")
                          .as_object();
  EXPECT_EQ(format_summary(killed, k_start), "KILLED after 12s\n");
  EXPECT_EQ(format_summary(building(4), k_start + seconds(61)),
            "still BUILDING build  STEP 4/7 RUN make after 1m01s\n");
}

TEST(StatusReport, KeyValueLines) {
  auto answer = building(2);
  answer["owner"] = "team";
  answer["git_ref"] = "main";
  EXPECT_EQ(format_status(answer, k_start + seconds(10)),
            "job      j1\n"
            "status   BUILDING build  STEP 2/7 RUN make\n"
            "owner    team\n"
            "git_ref  main\n"
            "started  2026-11-26T10:00:00.000Z (10s ago)\n"
            "follow   nbs watch j1\n");
}

TEST(HistoryTable, AlignedColumnsAndACount) {
  const auto answer = json::parse(R"({"total": 3, "jobs": [
      {"job_id": "j1", "status": "SUCCEEDED", "owner": "team", "git_ref": "main",
       "job_start": "2026-11-26T10:00:00.000Z", "image": "reg/app:j1"},
      {"job_id": "j22", "status": "FAILED", "owner": "t", "git_ref": "v1.2",
       "job_start": "2026-11-26T09:00:00.000Z", "image": "reg/app:j22"}]})")
                          .as_object();
  EXPECT_EQ(format_history(answer, 0),
            "JOB  STATUS     OWNER  GIT_REF  STARTED                   IMAGE\n"
            "j1   SUCCEEDED  team   main     2026-11-26T10:00:00.000Z  reg/app:j1\n"
            "j22  FAILED     t      v1.2     2026-11-26T09:00:00.000Z  reg/app:j22\n"
            "2 of 3 jobs\n");
  EXPECT_EQ(format_history(json::parse(R"({"total": 0, "jobs": []})").as_object(), 0), "no jobs\n");
}

}  // namespace
}  // namespace nbs::cli
