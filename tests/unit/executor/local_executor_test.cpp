#include "jobs/local/local_executor.hpp"

#include <fstream>
#include <signal.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/job_request_parser.hpp"
#include "tests/unit/test_dir.hpp"

namespace nbs::jobs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class LocalExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = nbs::test_support::fresh_test_dir("nbs-executor-test"); }
  void TearDown() override {
    executor_.reset();
    fs::remove_all(dir_);
  }

  LocalExecutor& make(unsigned max_tasks = 4, std::chrono::milliseconds poll_interval = 20ms) {
    executor_.reset();
    auto e = LocalExecutor::create(LocalExecutorConfig{.state_dir = dir_,
                                                       .runner_path = FAKE_RUNNER,
                                                       .podman_path = FAKE_RUNNER,
                                                       .podman_args = {"--network", "host"},
                                                       .max_running_tasks = max_tasks,
                                                       .poll_interval = poll_interval});
    EXPECT_TRUE(e) << e.error().message;
    executor_ = std::move(*e);
    return *executor_;
  }

  static PhaseLaunch build_launch(const std::string& job, const std::string& fake) {
    auto request = parse_job_request_json(R"({"owner": "t", "repo_url": "https://h/r.git", "image_name": "r",
                                              "registry_url": "h:5000",
                                              "test": {"commands": ["make test", "echo $HOME; exit 3"],
                                                       "entry_point": true, "env": {"A": "b c"}}})");
    EXPECT_TRUE(request);
    return PhaseLaunch{.id = {job, Phase::build},
                       .request = *request,
                       .runner_spec_json = R"({"job_id": ")" + job + R"(", "fake": )" + fake + "}",
                       .test_image = "h:5000/tmp:" + job};
  }

  // Waits (by wait_for_change, never sleeping blindly) until the phase reaches `state`.
  PhaseObservation wait_for(const PhaseId& id, PhaseState state, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::uint64_t index = 0;
    PhaseObservation o;
    while (std::chrono::steady_clock::now() < deadline) {
      o = *executor_->observe(id);
      if (o.state == state) {
        return o;
      }
      index = executor_->wait_for_change(index, 200ms)->index;
    }
    ADD_FAILURE() << id.name() << " stayed " << to_string(o.state) << ", expected " << to_string(state);
    return o;
  }

  std::string whole_log(const PhaseId& id, const std::string& task) {
    auto chunk = executor_->read_log(id, task, LogOrigin::start, 0, 1 << 20);
    EXPECT_TRUE(chunk);
    return chunk ? chunk->bytes : "";
  }

  fs::path dir_;
  std::unique_ptr<LocalExecutor> executor_;
};

TEST_F(LocalExecutorTest, RunsAPhaseToSuccessWithLogAndResult) {
  auto& e = make();
  const auto launch = build_launch("j1", R"({"lines": ["hello", "world"]})");
  ASSERT_TRUE(e.start(launch));
  EXPECT_EQ(e.observe(launch.id)->tasks.size(), 1u);
  auto o = wait_for(launch.id, PhaseState::succeeded);
  ASSERT_EQ(o.tasks.size(), 1u);
  EXPECT_EQ(o.tasks[0].name, "runner");
  EXPECT_EQ(o.tasks[0].exit_code, 0);
  EXPECT_TRUE(o.started_at && o.finished_at);
  const std::string log = whole_log(launch.id, "runner");
  EXPECT_NE(log.find("\"phase_start\""), std::string::npos);
  EXPECT_NE(log.find("hello\nworld\n"), std::string::npos);
  EXPECT_NE(log.find("on stderr"), std::string::npos);
  EXPECT_EQ(*e.read_result(launch.id), R"({"digest":"sha256:feed","size":42})");
  // The spec the runner saw carries the executor's result path and work directory.
  std::ifstream spec(dir_ / "phases" / "nbs-j1-build" / "spec.json");
  std::string text((std::istreambuf_iterator<char>(spec)), {});
  EXPECT_NE(text.find("result.json"), std::string::npos);
  EXPECT_NE(text.find("\"work_dir\""), std::string::npos);
}

TEST_F(LocalExecutorTest, WaitForChangeNamesTheJobsThatChanged) {
  auto& e = make();
  const std::uint64_t index = e.wait_for_change(0, 0ms)->index;
  ASSERT_TRUE(e.start(build_launch("ja", "{}")));
  auto changes = e.wait_for_change(index, 5s);
  ASSERT_TRUE(changes);
  EXPECT_GT(changes->index, index);
  EXPECT_FALSE(changes->everything);
  EXPECT_EQ(changes->job_ids, std::vector<std::string>{"ja"});
}

TEST_F(LocalExecutorTest, ATaskExitWakesTheMonitorWithoutPolling) {
  // With an hour between polls, only the supervisor's pidfd can tell the monitor that the task ended.
  auto& e = make(4, std::chrono::hours(1));
  const auto launch = build_launch("jp", R"({"sleep_ms": 200})");
  ASSERT_TRUE(e.start(launch));
  wait_for(launch.id, PhaseState::succeeded);
}

TEST_F(LocalExecutorTest, StartingTwiceStartsOnce) {
  auto& e = make();
  const auto launch = build_launch("j2", R"({"sleep_ms": 300})");
  ASSERT_TRUE(e.start(launch));
  ASSERT_TRUE(e.start(launch));
  wait_for(launch.id, PhaseState::succeeded);
  const std::string log = whole_log(launch.id, "runner");
  EXPECT_EQ(log.find("phase_start"), log.rfind("phase_start")) << log;
}

TEST_F(LocalExecutorTest, AFailingTaskReportsItsExitCode) {
  auto& e = make();
  const auto launch = build_launch("j3", R"({"exit": 3})");
  ASSERT_TRUE(e.start(launch));
  auto o = wait_for(launch.id, PhaseState::failed);
  EXPECT_EQ(o.tasks[0].exit_code, 3);
  EXPECT_EQ(o.message, "runner: exit code 3");
  EXPECT_FALSE(e.read_result(launch.id));
}

TEST_F(LocalExecutorTest, StopTerminatesThenKillsAfterTheGrace) {
  auto& e = make();
  auto polite = build_launch("j4", R"({"sleep_ms": 30000})");
  auto stubborn = build_launch("j5", R"({"sleep_ms": 30000, "ignore_term": true})");
  ASSERT_TRUE(e.start(polite));
  ASSERT_TRUE(e.start(stubborn));
  wait_for(polite.id, PhaseState::running);
  wait_for(stubborn.id, PhaseState::running);
  // The fake ignores SIGTERM only once it runs its code; its first line says it does.
  for (int i = 0; i < 500 && whole_log(stubborn.id, "runner").find("phase_start") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(e.stop(polite.id, 10s));
  ASSERT_TRUE(e.stop(stubborn.id, 1s));
  auto o = wait_for(polite.id, PhaseState::failed, 5s);
  EXPECT_EQ(o.tasks[0].message, "stopped (killed by signal 15 (Terminated))");
  auto s = wait_for(stubborn.id, PhaseState::failed, 5s);
  EXPECT_EQ(s.tasks[0].message, "stopped (killed by signal 9 (Killed))");
}

TEST_F(LocalExecutorTest, ARestartedExecutorFindsRunningAndFinishedPhases) {
  auto& first = make();
  auto running = build_launch("j6", R"({"sleep_ms": 1500})");
  auto done = build_launch("j7", R"({})");
  ASSERT_TRUE(first.start(running));
  ASSERT_TRUE(first.start(done));
  wait_for(done.id, PhaseState::succeeded);
  wait_for(running.id, PhaseState::running);

  auto& second = make();  // the first executor is gone; its tasks are not
  EXPECT_EQ(second.observe(done.id)->state, PhaseState::succeeded);
  EXPECT_EQ(second.observe(running.id)->state, PhaseState::running);
  wait_for(running.id, PhaseState::succeeded);
  EXPECT_EQ(*second.read_result(running.id), R"({"digest":"sha256:feed","size":42})");
  EXPECT_EQ(second.list("")->size(), 2u);
  EXPECT_EQ(second.list("j6")->size(), 1u);
}

TEST_F(LocalExecutorTest, AVanishedProcessIsLost) {
  auto& e = make();
  auto launch = build_launch("j8", R"({"sleep_ms": 30000})");
  ASSERT_TRUE(e.start(launch));
  wait_for(launch.id, PhaseState::running);
  pid_t supervisor = 0, task = 0;
  std::ifstream(dir_ / "phases" / "nbs-j8-build" / "tasks" / "runner" / "pids") >> supervisor >> task;
  ASSERT_GT(task, 0);
  ::kill(supervisor, SIGKILL);  // as if the machine lost both
  ::kill(-task, SIGKILL);
  auto o = wait_for(launch.id, PhaseState::lost);
  EXPECT_EQ(o.tasks[0].message, "the process vanished without an exit status");
}

TEST_F(LocalExecutorTest, TheConcurrencyLimitQueuesTasks) {
  auto& e = make(1);
  auto first = build_launch("j9", R"({"sleep_ms": 500})");
  auto second = build_launch("j10", R"({})");
  ASSERT_TRUE(e.start(first));
  ASSERT_TRUE(e.start(second));
  wait_for(first.id, PhaseState::running);
  auto queued = e.observe(second.id);
  EXPECT_EQ(queued->state, PhaseState::pending);
  EXPECT_NE(queued->message.find("waiting for a free slot"), std::string::npos);
  wait_for(second.id, PhaseState::succeeded);
  EXPECT_EQ(e.observe(first.id)->state, PhaseState::succeeded);
}

TEST_F(LocalExecutorTest, TestPhaseRunsOneContainerPerCommandAndTheEntryPoint) {
  auto& e = make();
  auto launch = build_launch("j11", "{}");
  launch.id.phase = Phase::test;
  ASSERT_TRUE(e.start(launch));
  auto o = wait_for(launch.id, PhaseState::succeeded);
  ASSERT_EQ(o.tasks.size(), 3u);
  EXPECT_EQ(o.tasks[0].name, "cmd-0");
  EXPECT_EQ(o.tasks[2].name, "entry-point");
  // Each argument reached podman verbatim: no shell in between.
  EXPECT_EQ(whole_log(launch.id, "cmd-1"),
            "run\n--rm\n--pull=always\n--network\nhost\n--name\nnbs-j11-test-cmd-1\n--env\nA=b "
            "c\nh:5000/tmp:j11\nsh\n-c\n"
            "echo $HOME; exit 3\n");
  EXPECT_EQ(whole_log(launch.id, "entry-point"),
            "run\n--rm\n--pull=always\n--network\nhost\n--name\nnbs-j11-test-entry-point\n--env\nA=b "
            "c\nh:5000/tmp:j11\n");
}

TEST_F(LocalExecutorTest, LogsReadFromTheEndAndByOffset) {
  auto& e = make();
  auto launch = build_launch("j12", R"({"lines": ["aaaa", "bbbb", "cccc"]})");
  ASSERT_TRUE(e.start(launch));
  wait_for(launch.id, PhaseState::succeeded);
  const std::string all = whole_log(launch.id, "runner");
  auto tail = e.read_log(launch.id, "runner", LogOrigin::end, 0, 10);
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->bytes, all.substr(all.size() - 10));
  EXPECT_EQ(tail->offset, all.size() - 10);
  EXPECT_EQ(tail->total_size, all.size());
  auto middle = e.read_log(launch.id, "runner", LogOrigin::start, 3, 4);
  EXPECT_EQ(middle->bytes, all.substr(3, 4));
  EXPECT_EQ(e.read_log(launch.id, "nope", LogOrigin::start, 0, 1).error().kind, ErrorKind::not_found);
  ASSERT_TRUE(e.purge(launch.id));
  EXPECT_EQ(e.observe(launch.id)->state, PhaseState::absent);
  EXPECT_FALSE(fs::exists(dir_ / "phases" / "nbs-j12-build"));
}

}  // namespace
}  // namespace nbs::jobs
