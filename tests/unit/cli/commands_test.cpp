// The commands against a scripted daemon: what they send, print and return, including the watch
// loop (submit --watch, status --wait) and logs --follow.
#include "cli/commands.hpp"

#include <gtest/gtest.h>

#include "cli/logs_command.hpp"
#include "tests/unit/cli/testutil.hpp"

namespace nbs::cli {
namespace {

namespace json = boost::json;
using testing::FakeDaemon;
using testing::TempDir;
using testing::TestConsole;

std::string status_body(const std::string& status, const std::string& extra = "") {
  return R"({"job_id": "j1", "status": ")" + status +
         R"(", "phase": null, "times": {"job_start": "2026-11-26T10:00:00.000Z"})" + extra + "}";
}

std::string page(const std::string& lines, const std::string& cursor, const std::string& phase = "build") {
  return R"({"job_id": "j1", "phase": ")" + phase + R"(", "lines": [)" + lines + R"(], "next_cursor": ")" +
         cursor + R"(", "total_lines": null, "truncated": false, "tasks": ["runner"]})";
}

TEST(Submit, SendsTheMergedJobAndPrintsTheId) {
  TempDir dir;
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(200, R"({"job_id": "j1", "status": "PENDING", "next_step": "..."})");
  SubmitOptions options;
  options.job = {dir.write("job.yaml", "owner: me\nimage_tags: [a]\n"),
                 dir.write("g.yaml", "registry_url: r:5000\n"), std::string("x,y")};
  EXPECT_EQ(submit_command(daemon.client(), io.console, options), ExitCode::ok);
  EXPECT_EQ(io.out.str(), "j1\n");
  ASSERT_EQ(daemon.requests.size(), 1u);
  EXPECT_EQ(
      json::parse(daemon.requests[0].body),
      json::parse(R"({"job_config": {"registry_url": "r:5000", "owner": "me", "image_tags": ["x", "y"]}})"));
}

TEST(Submit, FieldErrorsArePrintedOnePerLineWithExitCode2) {
  TempDir dir;
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(400, R"({"error": "...", "code": "invalid_argument", "details": [
      {"field": "owner", "reason": "is required"}, {"field": "image_name", "reason": "must be lower case"}]})");
  SubmitOptions options;
  options.job.job_path = dir.write("job.yaml", "image_name: App\n");
  EXPECT_EQ(submit_command(daemon.client(), io.console, options), ExitCode::usage);
  EXPECT_EQ(io.err.str(),
            "nbs: the daemon rejected the job (2 errors):\n  owner: is required\n  image_name: must be lower "
            "case\n");
  EXPECT_EQ(io.out.str(), "");
}

TEST(Submit, AnUnreadableJobFileSendsNothing) {
  FakeDaemon daemon;
  TestConsole io(OutputFormat::json);
  SubmitOptions options;
  options.job.job_path = "/nonexistent/job.yaml";
  EXPECT_EQ(submit_command(daemon.client(), io.console, options), ExitCode::usage);
  EXPECT_TRUE(daemon.requests.empty());
  const auto doc = json::parse(io.out.str());
  EXPECT_EQ(doc.at("code"), "invalid_argument");
  EXPECT_EQ(doc.at("error"), "/nonexistent/job.yaml: cannot read: No such file or directory");
}

TEST(Submit, WatchFollowsTheJobAndExitsWithItsOutcome) {
  TempDir dir;
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(200, R"({"job_id": "j1", "status": "PENDING"})");
  daemon.reply(200, status_body("PENDING"));
  daemon.reply(200, status_body("PENDING"));
  daemon.reply(200, status_body("BUILDING", R"(, "progress": {"step": 1, "steps": 2, "text": "FROM x"})"));
  daemon.reply(200,
               status_body("FAILED", R"(, "failed_phase": "build", "error": "exit 1", "excerpt": ["boom"])"));
  SubmitOptions options;
  options.job.job_path = dir.write("job.yaml", "owner: me\n");
  options.watch = Watch::yes;
  EXPECT_EQ(submit_command(daemon.client(), io.console, options), ExitCode::job_failed);
  ASSERT_EQ(daemon.requests.size(), 5u);
  // At once, once more after the change, long polls while nothing changes, at once after a change.
  EXPECT_TRUE(daemon.requests[1].url.ends_with("/mcp/job/j1/status?wait_seconds=0"));
  EXPECT_TRUE(daemon.requests[2].url.ends_with("/mcp/job/j1/status?wait_seconds=0"));
  EXPECT_TRUE(daemon.requests[3].url.ends_with("/mcp/job/j1/status?wait_seconds=30"));
  EXPECT_TRUE(daemon.requests[4].url.ends_with("/mcp/job/j1/status?wait_seconds=0"));
  const std::string out = io.out.str();
  EXPECT_TRUE(out.starts_with("job j1\n")) << out;
  EXPECT_NE(out.find("BUILDING  STEP 1/2 FROM x\n"), std::string::npos) << out;
  EXPECT_NE(out.find("FAILED in the build phase after "), std::string::npos) << out;
  EXPECT_NE(out.find("  | boom\nThe whole log: nbs logs j1 --phase build\n"), std::string::npos) << out;
}

TEST(Status, WaitEndsWithTheLimitAndSaysTheJobIsStillRunning) {
  FakeDaemon daemon;
  TestConsole io(OutputFormat::json);
  daemon.reply(200, status_body("BUILDING"));
  WatchOptions wait;
  wait.limit = std::chrono::seconds(0);
  EXPECT_EQ(status_command(daemon.client(), io.console, "j1", wait), ExitCode::still_running);
  EXPECT_EQ(daemon.requests.size(), 1u);
  EXPECT_EQ(json::parse(io.out.str()).at("status"), "BUILDING");
}

TEST(Status, WaitRetriesWhileTheDaemonRestarts) {
  FakeDaemon daemon;
  TestConsole io(OutputFormat::json);
  daemon.reply(200, status_body("BUILDING"));
  daemon.fail(ErrorKind::unavailable, "connect: Connection refused");
  daemon.reply(200, status_body("KILLED"));
  EXPECT_EQ(status_command(daemon.client(), io.console, "j1", WatchOptions{}), ExitCode::job_killed);
  EXPECT_EQ(io.pauses, 1);
}

TEST(Status, WaitOnADaemonNeverReachedFailsAtOnce) {
  FakeDaemon daemon;
  TestConsole io;
  daemon.fail(ErrorKind::unavailable, "connect: Connection refused");
  EXPECT_EQ(status_command(daemon.client(), io.console, "j1", WatchOptions{}), ExitCode::unavailable);
  EXPECT_EQ(io.pauses, 0);
  EXPECT_EQ(daemon.requests.size(), 1u);
}

TEST(Status, WithoutWaitReportsAndExits0) {
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(200, status_body("FAILED", R"(, "failed_phase": "build", "error": "exit 1")"));
  EXPECT_EQ(status_command(daemon.client(), io.console, "j1", std::nullopt), ExitCode::ok);
  EXPECT_TRUE(io.out.str().starts_with("job      j1\nstatus   FAILED\n")) << io.out.str();
}

TEST(Status, AnUnknownJobIsExitCode5) {
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(404, R"({"error": "job_id: no job 'zz'", "code": "not_found", "details": []})");
  EXPECT_EQ(status_command(daemon.client(), io.console, "zz", std::nullopt), ExitCode::not_found);
  EXPECT_EQ(io.err.str(), "nbs: job_id: no job 'zz'\n");
}

TEST(Logs, TailAndGrepQueries) {
  EXPECT_EQ(first_log_query({.job_id = "j", .phase = "test", .task = "cmd-1", .tail = 20}),
            (QueryParams{{"phase", "test"}, {"task", "cmd-1"}, {"mode", "tail"}, {"tail_lines", "20"}}));
  EXPECT_EQ(first_log_query({.job_id = "j", .grep = "err(or)?", .context = 2}),
            (QueryParams{{"mode", "grep"}, {"pattern", "err(or)?"}, {"context_lines", "2"}}));
}

TEST(Logs, PrintsLinesAsTheDaemonReturnsThem) {
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(200, page(R"("a", "b  c")", "0:10"));
  EXPECT_EQ(logs_command(daemon.client(), io.console, {.job_id = "j1"}), ExitCode::ok);
  EXPECT_EQ(io.out.str(), "a\nb  c\n");
}

TEST(Logs, GrepContinuesWhileTheAnswerWasCutShort) {
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(200, R"({"phase": "build", "lines": ["m1"], "next_cursor": "0:100", "truncated": true})");
  daemon.reply(200, R"({"phase": "build", "lines": ["m2"], "next_cursor": "", "truncated": false})");
  EXPECT_EQ(logs_command(daemon.client(), io.console, {.job_id = "j1", .grep = "m"}), ExitCode::ok);
  EXPECT_EQ(io.out.str(), "m1\nm2\n");
  EXPECT_TRUE(daemon.requests[1].url.ends_with("logs?phase=build&mode=grep&pattern=m&cursor=0%3A100"))
      << daemon.requests[1].url;
}

TEST(Logs, FollowPagesFromTheCursorUntilThePhaseEnds) {
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(200, status_body("PENDING"));  // which phase: none yet, so build
  daemon.reply(404, R"({"error": "phase: the build phase has not run", "code": "not_found", "details": []})");
  daemon.reply(200, status_body("BUILDING"));  // still going: wait and retry
  daemon.reply(200, page(R"("one")", "0:4"));
  daemon.reply(200, page("", "0:4"));  // nothing new
  daemon.reply(200, status_body("BUILDING"));
  daemon.reply(200, page(R"("two")", ""));  // the phase ended
  EXPECT_EQ(logs_command(daemon.client(), io.console, {.job_id = "j1", .follow = Follow::yes}), ExitCode::ok);
  EXPECT_EQ(io.out.str(), "one\ntwo\n");
  EXPECT_EQ(io.pauses, 2);
  EXPECT_TRUE(daemon.requests[1].url.ends_with("logs?phase=build&mode=range")) << daemon.requests[1].url;
  EXPECT_TRUE(daemon.requests[4].url.ends_with("logs?phase=build&mode=range&cursor=0%3A4"))
      << daemon.requests[4].url;
}

TEST(Logs, FollowOfAPhaseThatNeverRanInAFinishedJobIsNotFound) {
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(200, status_body("FAILED"));
  daemon.reply(404, R"({"error": "phase: the test phase has not run", "code": "not_found", "details": []})");
  EXPECT_EQ(
      logs_command(daemon.client(), io.console, {.job_id = "j1", .phase = "test", .follow = Follow::yes}),
      ExitCode::not_found);
  EXPECT_EQ(io.err.str(), "nbs: phase: the test phase has not run\n");
}

TEST(Kill, SaysWhatHappened) {
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(200, R"({"job_id": "j1", "status": "BUILDING", "kill_requested": true})");
  daemon.reply(200, R"({"job_id": "j1", "status": "SUCCEEDED", "kill_requested": false})");
  EXPECT_EQ(kill_command(daemon.client(), io.console, "j1"), ExitCode::ok);
  EXPECT_EQ(kill_command(daemon.client(), io.console, "j1"), ExitCode::ok);
  EXPECT_EQ(json::parse(daemon.requests[0].body), json::parse(R"({"job_id": "j1"})"));
  EXPECT_EQ(io.out.str(),
            "stopping job j1 (BUILDING); `nbs status j1 --wait 60` shows when it is KILLED\n"
            "job j1 had already ended (SUCCEEDED)\n");
}

TEST(Cleanup, OneJobOrAll) {
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(200, R"({"removed": ["j1/build"], "jobs": ["j1"]})");
  daemon.reply(200, R"({"removed": [], "jobs": []})");
  EXPECT_EQ(cleanup_command(daemon.client(), io.console, "j1"), ExitCode::ok);
  EXPECT_EQ(cleanup_command(daemon.client(), io.console, ""), ExitCode::ok);
  EXPECT_EQ(json::parse(daemon.requests[0].body), json::parse(R"({"job_id": "j1"})"));
  EXPECT_EQ(json::parse(daemon.requests[1].body), json::parse(R"({"all": true})"));
  EXPECT_EQ(io.out.str(), "removed 1 phase\n  j1/build\nremoved 0 phases\n");
}

TEST(History, SendsOnlyTheGivenFilters) {
  FakeDaemon daemon;
  TestConsole io(OutputFormat::json);
  daemon.reply(200, R"({"jobs": [], "total": 0})");
  EXPECT_EQ(history_command(daemon.client(), io.console, {"team", 5, std::nullopt}), ExitCode::ok);
  EXPECT_EQ(json::parse(daemon.requests[0].body), json::parse(R"({"owner": "team", "limit": 5})"));
  EXPECT_EQ(json::parse(io.out.str()), json::parse(R"({"jobs": [], "total": 0})"));
}

TEST(Health, AliveButNotReadyIsExitCode4) {
  FakeDaemon daemon;
  TestConsole io;
  daemon.reply(200, R"({"status": "ok", "version": "0.1.0"})");
  daemon.reply(503, R"({"status": "unavailable", "error": "state_dir: not writable"})");
  EXPECT_EQ(health_command(daemon.client(), io.console), ExitCode::unavailable);
  EXPECT_EQ(io.out.str(),
            "nbs-mcpd 0.1.0 at http://127.0.0.1:8080: alive, not ready: state_dir: not writable\n");
}

TEST(Health, UnreachableIsExitCode4AndJsonSaysWhy) {
  FakeDaemon daemon;
  TestConsole io(OutputFormat::json);
  daemon.fail(ErrorKind::unavailable, "connect: Connection refused");
  EXPECT_EQ(health_command(daemon.client(), io.console), ExitCode::unavailable);
  const auto doc = json::parse(io.out.str());
  EXPECT_EQ(doc.at("code"), "unavailable");
  EXPECT_EQ(doc.at("error"), "cannot reach nbs-mcpd at http://127.0.0.1:8080: connect: Connection refused");
}

}  // namespace
}  // namespace nbs::cli
