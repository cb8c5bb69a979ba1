#include "jobs/local/local_executor.hpp"

#include <algorithm>
#include <fstream>
#include <future>
#include <signal.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/digest.hpp"
#include "common/job_request_parser.hpp"
#include "tests/unit/testutil/test_dir.hpp"
#include "tests/unit/testutil/wait.hpp"

namespace nbs::jobs {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

class LocalExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = nbs::test_support::fresh_test_dir("nbs-executor-test"); }
  void TearDown() override {
    executor_.reset();
    if (!podman_storage_.empty()) {
      fs::remove_all(podman_boot_dir());
    }
    // Background podman calls (container and image removal) may still be writing their exit files.
    test_support::wait_until([&] {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      return !ec;
    });
  }

  LocalExecutor& make(unsigned max_tasks = 4, std::chrono::milliseconds poll_interval = 20ms,
                      std::vector<std::string> task_env = {}, fs::path supervisor = TASK_SUPERVISOR) {
    executor_.reset();
    task_env.push_back("FAKE_PODMAN_LOG=" + podman_log().string());
    auto e = LocalExecutor::create(LocalExecutorConfig{.state_dir = dir_,
                                                       .runner_path = FAKE_RUNNER,
                                                       .supervisor_path = std::move(supervisor),
                                                       .podman_path = FAKE_RUNNER,
                                                       .podman_storage = podman_storage_,
                                                       .podman_args = {"--network", "host"},
                                                       .task_env = std::move(task_env),
                                                       .build_secrets_dir = build_secrets_dir_,
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

  fs::path podman_log() const { return dir_ / "podman.log"; }

  fs::path build_secrets_dir_;  // the next make()'s build_secrets_dir
  fs::path podman_storage_;     // the next make()'s podman_storage

  // Where podman_storage_'s run root and tmp dir go (podman_storage.hpp); TearDown removes it.
  fs::path podman_boot_dir() const {
    return fs::path("/tmp") / ("nbs-podman-" + std::to_string(::geteuid()) + "-" +
                               sha256_hex(podman_storage_.string()).substr(0, 12));
  }

  // A supervisor that holds every start at a gate: it says it entered (the file `entered`), waits for a
  // line on the fifo `gate`, then runs nbs-task-supervisor. Only shell built-ins: it has no PATH.
  fs::path gated_supervisor() const {
    EXPECT_EQ(::mkfifo((dir_ / "gate").c_str(), 0600), 0);
    fs::path script = dir_ / "gated-supervisor";
    std::ofstream(script) << "#!/bin/sh\n: > '" << (dir_ / "entered").string() << "'\nread line < '"
                          << (dir_ / "gate").string() << "'\nexec '" << TASK_SUPERVISOR << "' \"$@\"\n";
    fs::permissions(script, fs::perms::owner_all);
    return script;
  }

  static bool wait_for_file(const fs::path& path, std::chrono::milliseconds limit = 10s) {
    return test_support::wait_until([&] { return fs::exists(path); }, limit);
  }

  // Starts `launch` with a fake runner that runs for 1.5 s and copies the spec it was given; returns
  // that spec's text ("" when the start or the copy failed, which the test's own checks then show).
  std::string start_and_read_spec(LocalExecutor& e, PhaseLaunch& launch) {
    const fs::path spec_copy = dir_ / ("spec-of-" + launch.id.name() + ".json");
    launch.runner_spec_json = R"({"job_id": ")" + launch.id.job_id +
                              R"(", "fake": {"sleep_ms": 1500, "spec_copy": ")" + spec_copy.string() +
                              R"("}})";
    if (!e.start(launch) || !wait_for_file(spec_copy)) {
      return {};
    }
    std::ifstream in(spec_copy);
    return {(std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()};
  }

  // Lets the start held at the gate go on (the monitor waits for it, so every test opens the gate).
  void open_gate() const {
    fs::remove(dir_ / "entered");
    std::ofstream(dir_ / "gate") << "go\n";
  }

  // The podman commands (other than run) the executor has issued so far, one per line.
  std::string podman_calls() const {
    std::ifstream in(podman_log());
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }

  // Waits until a podman call containing `text` was made (they run in the background).
  bool wait_for_podman_call(const std::string& text, std::chrono::milliseconds limit = 10s) const {
    return test_support::wait_until([&] { return podman_calls().find(text) != std::string::npos; }, limit);
  }

  static PhaseLaunch test_launch(const std::string& job, std::vector<std::string> commands,
                                 bool entry_point = false, const std::string& env = R"({"A": "b c"})") {
    json::array list(commands.begin(), commands.end());
    auto request = parse_job_request_json(
        R"({"owner": "t", "repo_url": "https://h/r.git", "image_name": "r", "registry_url": "h:5000",
            "test": {"commands": )" +
        json::serialize(list) + R"(, "entry_point": )" + (entry_point ? "true" : "false") + R"(, "env": )" +
        env + "}}");
    EXPECT_TRUE(request) << request.error().describe();
    return PhaseLaunch{.id = {job, Phase::test}, .request = *request, .test_image = "h:5000/tmp:" + job};
  }

  fs::path dir_;
  std::unique_ptr<LocalExecutor> executor_;
};

TEST_F(LocalExecutorTest, RunsAPhaseToSuccessWithLogAndResult) {
  auto& e = make();
  const fs::path seen = dir_ / "spec-seen.json";
  const auto launch =
      build_launch("j1", R"({"lines": ["hello", "world"], "spec_copy": ")" + seen.string() + "\"}");
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
  // The spec the runner saw carries the executor's result path and work directory; it is gone once the
  // runner ended (it may hold secret build args).
  EXPECT_FALSE(fs::exists(dir_ / "phases" / "nbs-j1-build" / "spec.json"));
  std::ifstream spec(seen);
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

TEST_F(LocalExecutorTest, AStartInProgressBlocksNeitherObserveNorLogsNorAnotherStart) {
  auto& e = make(4, 20ms, {}, gated_supervisor());
  const auto first = build_launch("jg1", R"({"lines": ["first"]})");
  ASSERT_TRUE(e.start(first));
  ASSERT_TRUE(wait_for_file(dir_ / "entered")) << "the monitor never started the task";
  // The monitor is inside the start now; every call that needs the executor's lock answers meanwhile.
  const auto second = build_launch("jg2", R"({"lines": ["second"]})");
  auto calls = std::async(std::launch::async, [&] {
    const auto seen = e.observe(first.id);
    const auto log = e.read_log(first.id, "runner", LogOrigin::start, 0, 1024);
    const auto started = e.start(second);
    return seen && log && started ? seen->state : PhaseState::lost;
  });
  const bool answered = calls.wait_for(5s) == std::future_status::ready;
  if (!answered) {
    open_gate();  // the start ends, and with it the wait for the lock
  }
  EXPECT_TRUE(answered) << "observe, read_log or start waited for a task start";
  EXPECT_EQ(calls.get(), PhaseState::pending);
  if (answered) {
    open_gate();
  }
  // The second start waits at the gate in its turn.
  ASSERT_TRUE(wait_for_file(dir_ / "entered"));
  open_gate();
  wait_for(first.id, PhaseState::succeeded);
  wait_for(second.id, PhaseState::succeeded);
  EXPECT_NE(whole_log(second.id, "runner").find("second\n"), std::string::npos);
}

TEST_F(LocalExecutorTest, AStopDuringTheStartStopsTheTaskOnceItRuns) {
  auto& e = make(4, 20ms, {}, gated_supervisor());
  const auto launch = build_launch("jgs", R"({"sleep_ms": 30000})");
  ASSERT_TRUE(e.start(launch));
  ASSERT_TRUE(wait_for_file(dir_ / "entered"));
  ASSERT_TRUE(e.stop(launch.id, 10s));
  ASSERT_TRUE(e.start(launch));  // starting it again changes nothing: it exists
  open_gate();
  const auto o = wait_for(launch.id, PhaseState::failed);
  ASSERT_EQ(o.tasks.size(), 1u);
  EXPECT_EQ(o.tasks[0].message, "stopped (killed by signal 15 (Terminated))");
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
  ASSERT_TRUE(test_support::wait_until(
      [&] { return whole_log(stubborn.id, "runner").find("phase_start") != std::string::npos; }));
  ASSERT_TRUE(e.stop(polite.id, 10s));
  ASSERT_TRUE(e.stop(stubborn.id, 1s));
  auto o = wait_for(polite.id, PhaseState::failed, 5s);
  EXPECT_EQ(o.tasks[0].message, "stopped (killed by signal 15 (Terminated))");
  auto s = wait_for(stubborn.id, PhaseState::failed, 5s);
  EXPECT_EQ(s.tasks[0].message, "stopped (killed by signal 9 (Killed))");
}

TEST_F(LocalExecutorTest, AStoppedRunnerTakesWhatItStartedWithIt) {
  auto& e = make();
  const fs::path pid_file = dir_ / "orphan.pid";
  auto launch = build_launch("jtree", R"({"sleep_ms": 30000, "ignore_term": true, "orphan_pid_file": ")" +
                                          pid_file.string() + "\"}");
  ASSERT_TRUE(e.start(launch));
  wait_for(launch.id, PhaseState::running);
  pid_t orphan = 0;
  test_support::wait_until([&] { return static_cast<bool>(std::ifstream(pid_file) >> orphan); });
  ASSERT_GT(orphan, 0);
  // The runner ignores SIGTERM and is SIGKILLed after the grace; its child, in another process group,
  // would be re-parented to init and run on.
  ASSERT_TRUE(e.stop(launch.id, 1s));
  wait_for(launch.id, PhaseState::failed, 10s);
  EXPECT_NE(::kill(orphan, 0), 0) << "process " << orphan << " outlived its task";
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
  // Each argument reached podman verbatim: no shell in between. A command runs through /bin/sh with the
  // image's ENTRYPOINT replaced; the entry point test runs the image as it is. Env values never appear
  // in the argv (every user sees it in ps): they come from a file.
  const std::string env_file = (dir_ / "phases" / "nbs-j11-test" / "tasks" / "cmd-1" / "env").string();
  const std::string labels =
      "--label\nnbs.job=j11\n--label\nnbs.phase=nbs-j11-test\n--label\nnbs.state=" + dir_.string() + "\n";
  EXPECT_EQ(whole_log(launch.id, "cmd-1"),
            "run\n--rm\n--pull=always\n--network\nhost\n--name\nnbs-j11-test-cmd-1\n" + labels +
                "--env-file\n" + env_file +
                "\n--entrypoint\n/bin/sh\nh:5000/tmp:j11\n-c\necho $HOME; exit 3\n");
  const std::string entry_env = (dir_ / "phases" / "nbs-j11-test" / "tasks" / "entry-point" / "env").string();
  EXPECT_EQ(whole_log(launch.id, "entry-point"),
            "run\n--rm\n--pull=always\n--network\nhost\n--name\nnbs-j11-test-entry-point\n" + labels +
                "--env-file\n" + entry_env + "\nh:5000/tmp:j11\n");
}

TEST_F(LocalExecutorTest, TestEnvValuesStayOutOfArgvAndFilesGoWhenTheTaskEnds) {
  auto& e = make();
  auto launch = test_launch("jenv", {"hang"}, false, R"({"TOKEN": "s3cret", "PEM": "line1\nline2"})");
  ASSERT_TRUE(e.start(launch));
  wait_for(launch.id, PhaseState::running);
  ASSERT_TRUE(test_support::wait_until(
      [&] { return whole_log(launch.id, "cmd-0").find("hang") != std::string::npos; }));
  const fs::path task = dir_ / "phases" / "nbs-jenv-test" / "tasks" / "cmd-0";
  std::ifstream env(task / "env");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(env)), {}), "TOKEN=s3cret\n");
  EXPECT_EQ(fs::status(task / "env").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  // A multi-line value cannot go in an env file: podman takes it from its own environment by name.
  const std::string argv = whole_log(launch.id, "cmd-0");
  EXPECT_EQ(argv.find("s3cret"), std::string::npos) << argv;
  EXPECT_EQ(argv.find("line1"), std::string::npos) << argv;
  EXPECT_NE(argv.find("--env\nPEM\n"), std::string::npos) << argv;
  EXPECT_FALSE(fs::exists(task / "process-env"));  // in podman's environment now, nowhere on disk
  for (const auto& name : {"launch.json"}) {
    EXPECT_EQ(fs::status(dir_ / "phases" / "nbs-jenv-test" / name).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
  }
  ASSERT_TRUE(e.stop(launch.id, 1s));
  wait_for(launch.id, PhaseState::failed);
  EXPECT_FALSE(fs::exists(task / "env"));
}

TEST_F(LocalExecutorTest, AnImageWithoutAShellFailsItsTestCommandsSayingSo) {
  auto& e = make();
  auto launch = test_launch("jnosh", {"noshell"});
  ASSERT_TRUE(e.start(launch));
  auto o = wait_for(launch.id, PhaseState::failed);
  ASSERT_EQ(o.tasks.size(), 1u);
  EXPECT_EQ(o.tasks[0].exit_code, 127);
  EXPECT_EQ(o.tasks[0].message, std::string(k_missing_shell_message));
  EXPECT_NE(o.message.find("test.entry_point"), std::string::npos) << o.message;
}

TEST_F(LocalExecutorTest, AShellsCommandNotFoundIsNotMistakenForAMissingShell) {
  auto& e = make();
  auto launch = test_launch("jnf", {"fail"});
  ASSERT_TRUE(e.start(launch));
  auto o = wait_for(launch.id, PhaseState::failed);
  EXPECT_EQ(o.tasks[0].message, "exit code 7");
}

TEST_F(LocalExecutorTest, StoppingATestPhaseStopsAndRemovesItsContainers) {
  auto& e = make();
  auto launch = test_launch("jstop", {"hang", "hang"});
  ASSERT_TRUE(e.start(launch));
  wait_for(launch.id, PhaseState::running);
  ASSERT_TRUE(e.stop(launch.id, 7s));
  // The containers themselves are stopped with the grace and removed (killing `podman run` would not).
  EXPECT_TRUE(wait_for_podman_call("rm --force --time 7 --filter label=nbs.phase=nbs-jstop-test"))
      << podman_calls();
  ASSERT_TRUE(e.stop(launch.id, 7s));  // a second stop issues nothing new
  wait_for(launch.id, PhaseState::failed);
  // At the phase's end the pulled image loses its name (its layers go in a sweep, see below).
  EXPECT_TRUE(wait_for_podman_call("untag h:5000/tmp:jstop")) << podman_calls();
  const std::string calls = podman_calls();
  EXPECT_EQ(calls.find("--filter label=nbs.phase"), calls.rfind("--filter label=nbs.phase")) << calls;
}

// Deleting an image's layers while another phase pulls an image sharing one fails that pull ("layer not
// known", seen in the image-shapes e2e test): a phase's end only untags its image, and the layers are
// pruned by a sweep while no phase runs.
TEST_F(LocalExecutorTest, AFinishedTestPhaseUntagsItsImageAndASweepWithNothingRunningPrunes) {
  auto& e = make();
  auto launch = test_launch("jimg", {"true"});
  ASSERT_TRUE(e.start(launch));
  wait_for(launch.id, PhaseState::succeeded);
  EXPECT_TRUE(wait_for_podman_call("untag h:5000/tmp:jimg")) << podman_calls();
  EXPECT_EQ(podman_calls().find("rmi"), std::string::npos) << podman_calls();
  EXPECT_EQ(podman_calls().find("rm --force --time"), std::string::npos) << podman_calls();
  auto running = test_launch("jbusy", {"hang"});
  ASSERT_TRUE(e.start(running));
  wait_for(running.id, PhaseState::running);
  std::size_t seen = podman_calls().size();
  ASSERT_TRUE(e.sweep());
  EXPECT_EQ(podman_calls().find("image prune", seen), std::string::npos) << "pruned while a phase runs";
  ASSERT_TRUE(e.stop(running.id, 1s));
  wait_for(running.id, PhaseState::failed);
  seen = podman_calls().size();
  ASSERT_TRUE(e.sweep());
  EXPECT_NE(podman_calls().find("image prune --force", seen), std::string::npos) << podman_calls();
}

// Two daemons sharing the build user: one's image prune must not reach the layers the other is pulling,
// so each keeps its test images and containers in a storage of its own, and every podman command of the
// executor (run, the background untag, the sweep) goes to it.
TEST_F(LocalExecutorTest, TestContainersLiveInAPodmanStorageOfTheExecutorsOwn) {
  podman_storage_ = dir_ / "test-containers";
  auto& e = make();
  const fs::path boot_dir = podman_boot_dir();
  EXPECT_LE((boot_dir / "run").string().size(), 50u) << "podman refuses a longer run root";
  const std::string global = "--root\n" + podman_storage_.string() + "\n--runroot\n" +
                             (boot_dir / "run").string() + "\n--tmpdir\n" + (boot_dir / "tmp").string() +
                             "\n--storage-driver\noverlay\n";
  for (const fs::path& dir : {podman_storage_, boot_dir, boot_dir / "run", boot_dir / "tmp"}) {
    EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all) << dir;
  }
  auto launch = test_launch("jown", {"true"});
  ASSERT_TRUE(e.start(launch));
  wait_for(launch.id, PhaseState::succeeded);
  EXPECT_TRUE(whole_log(launch.id, "cmd-0").starts_with(global + "run\n")) << whole_log(launch.id, "cmd-0");
  std::string one_line = global;
  std::replace(one_line.begin(), one_line.end(), '\n', ' ');
  EXPECT_TRUE(wait_for_podman_call(one_line + "untag h:5000/tmp:jown")) << podman_calls();
  ASSERT_TRUE(e.sweep());
  EXPECT_NE(podman_calls().find(one_line + "ps --all"), std::string::npos) << podman_calls();
  EXPECT_NE(podman_calls().find(one_line + "image prune --force"), std::string::npos) << podman_calls();
}

// The run root and tmp dir describe the containers and mounts of one boot: a restart keeps them (a test
// container may still run), a reboot empties them, or podman would take dead containers for running ones.
TEST_F(LocalExecutorTest, ThePodmanRunStateIsKeptAcrossRestartsAndEmptiedAfterAReboot) {
  podman_storage_ = dir_ / "test-containers";
  make();
  const fs::path boot_dir = podman_boot_dir();
  const fs::path run_marker = boot_dir / "run" / "marker", tmp_marker = boot_dir / "tmp" / "alive";
  const fs::path image_marker = podman_storage_ / "marker";
  for (const auto& marker : {run_marker, tmp_marker, image_marker}) {
    std::ofstream(marker) << "x";
  }
  make();  // a restart: the same boot
  EXPECT_TRUE(fs::exists(run_marker));
  EXPECT_TRUE(fs::exists(tmp_marker));
  std::ofstream(boot_dir / "boot_id") << "00000000-0000-0000-0000-000000000000\n";
  make();  // as after a reboot
  EXPECT_FALSE(fs::exists(run_marker));
  EXPECT_FALSE(fs::exists(tmp_marker));
  EXPECT_TRUE(fs::exists(image_marker)) << "the images outlive a reboot";
  EXPECT_TRUE(fs::is_directory(boot_dir / "run"));
}

// In /tmp, which every user may write: a directory someone else made there is refused, not used.
TEST_F(LocalExecutorTest, APodmanRunDirThatIsNotTheExecutorsOwnIsRefused) {
  podman_storage_ = dir_ / "test-containers";
  const fs::path boot_dir = podman_boot_dir();
  ASSERT_TRUE(fs::create_directory(boot_dir));
  fs::permissions(boot_dir, fs::perms::owner_all | fs::perms::others_all);
  auto e = LocalExecutor::create(LocalExecutorConfig{.state_dir = dir_,
                                                     .runner_path = FAKE_RUNNER,
                                                     .supervisor_path = TASK_SUPERVISOR,
                                                     .podman_path = FAKE_RUNNER,
                                                     .podman_storage = podman_storage_});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find(boot_dir.string() + " belongs to uid"), std::string::npos)
      << e.error().message;
  EXPECT_NE(e.error().message.find("mode 0707"), std::string::npos) << e.error().message;
}

TEST_F(LocalExecutorTest, PurgeRemovesContainersAndImageBeforeReportingSuccess) {
  auto& e = make();
  auto launch = test_launch("jpurge", {"true"});
  ASSERT_TRUE(e.start(launch));
  wait_for(launch.id, PhaseState::succeeded);
  {
    auto purged = e.purge(launch.id);
    ASSERT_TRUE(purged) << purged.error().message;
  }
  const std::string calls = podman_calls();
  EXPECT_NE(calls.find("rm --force --time 0 --filter label=nbs.phase=nbs-jpurge-test"), std::string::npos)
      << calls;
  EXPECT_FALSE(fs::exists(dir_ / "phases" / "nbs-jpurge-test"));
}

TEST_F(LocalExecutorTest, StartUpSweepsContainersNoRunningPhaseAccountsFor) {
  auto& first = make();
  auto running = test_launch("jlive", {"hang"});
  ASSERT_TRUE(first.start(running));
  wait_for(running.id, PhaseState::running);
  // podman reports a container of the running phase and one of a phase nobody knows (a daemon killed
  // after its job's record was removed).
  auto& second = make(
      4, 20ms, {"FAKE_PODMAN_PS=nbs-jlive-test-cmd-0 nbs-jlive-test\nnbs-jgone-test-cmd-0 nbs-jgone-test\n"});
  const std::string calls = podman_calls();
  EXPECT_NE(calls.find("ps --all --filter label=nbs.state=" + dir_.string()), std::string::npos) << calls;
  EXPECT_NE(calls.find("rm --force --ignore --time 0 nbs-jgone-test-cmd-0"), std::string::npos) << calls;
  EXPECT_EQ(calls.find("nbs-jlive-test-cmd-0\n"), std::string::npos) << calls;
  auto swept = second.sweep();
  ASSERT_TRUE(swept);
  EXPECT_EQ(*swept, std::vector<std::string>{"container nbs-jgone-test-cmd-0"});
  ASSERT_TRUE(second.stop(running.id, 1s));
  wait_for(running.id, PhaseState::failed);
}

TEST_F(LocalExecutorTest, RefusesWhatItCannotHonour) {
  auto& e = make();
  auto request = parse_job_request_json(
      R"({"owner": "t", "repo_url": "https://h/r.git", "image_name": "r", "registry_url": "h:5000",
          "git_credentials_path": "secret/data/git", "registry_credentials_path": "secret/data/reg",
          "build": {"secrets": [{"id": "npm", "source": "vault:secret/data/npm#token"}],
                    "ssh": [{"id": "git", "source": "file:deploy-key"}]},
          "test": {"commands": ["true"], "gpu_count": 1, "env": {"PATH": "a\nb", "OK": "a\nb"},
                   "vault_secrets": [{"path": "secret/data/x", "fields": {"k": "K"}}],
                   "constraints": [{"attribute": "${attr.kernel.name}", "value": "linux"}]}})");
  ASSERT_TRUE(request) << request.error().describe();
  std::vector<std::string> paths;
  for (const auto& f : e.unsupported(*request)) {
    paths.push_back(f.path);
    EXPECT_FALSE(f.reason.empty());
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"build.secrets[0].source", "build.ssh[0].source",
                                             "git_credentials_path", "registry_credentials_path",
                                             "test.vault_secrets", "test.gpu_count", "test.constraints",
                                             "test.env.PATH"}));
  // start() refuses it too (a record written before the daemon knew better).
  PhaseLaunch launch{.id = {"jno", Phase::build}, .request = *request, .runner_spec_json = "{}"};
  auto started = e.start(launch);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().kind, ErrorKind::invalid_argument);
  EXPECT_FALSE(fs::exists(dir_ / "phases" / "nbs-jno-build"));
}

// The runner (the build user) cannot read the operator's secrets directory: the phase gets copies only
// its owner may read, named as the runner looks for them, for as long as the phase runs.
TEST_F(LocalExecutorTest, BuildSecretsAreCopiedForTheRunnerAndGoneOnceItEnds) {
  build_secrets_dir_ = dir_ / "operator-secrets";
  fs::create_directories(build_secrets_dir_);
  std::ofstream(build_secrets_dir_ / "npmrc") << "//registry.npmjs.org/:_authToken=npm-s3cret\n";
  std::ofstream(build_secrets_dir_ / "deploy-key") << "-----BEGIN OPENSSH PRIVATE KEY-----\nkey\n";
  auto& e = make();
  auto request = parse_job_request_json(
      R"({"owner": "t", "repo_url": "https://h/r.git", "image_name": "r", "registry_url": "h:5000",
          "build": {"secrets": [{"id": "npmrc", "source": "file:npmrc"}],
                    "ssh": [{"id": "default", "source": "file:deploy-key"}]}})");
  ASSERT_TRUE(request) << request.error().describe();
  EXPECT_TRUE(e.unsupported(*request).empty());
  PhaseLaunch launch{.id = {"jsec", Phase::build}, .request = *request};
  const std::string spec_text = start_and_read_spec(e, launch);
  ASSERT_FALSE(spec_text.empty());
  const json::value spec = json::parse(spec_text);
  const fs::path copies(std::string(spec.at("credentials").at("build_secrets_dir").as_string()));
  EXPECT_EQ(copies, dir_ / "phases" / "nbs-jsec-build" / "build-secrets");
  std::ifstream secret(copies / "secret-npmrc");
  std::string line;
  std::getline(secret, line);
  EXPECT_EQ(line, "//registry.npmjs.org/:_authToken=npm-s3cret");
  EXPECT_TRUE(fs::exists(copies / "ssh-default"));
  EXPECT_EQ(fs::status(copies / "secret-npmrc").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(spec_text.find("npm-s3cret"), std::string::npos) << "the value is in the spec";
  wait_for(launch.id, PhaseState::succeeded);
  EXPECT_TRUE(test_support::wait_until([&] { return !fs::exists(copies); }, 10s))
      << copies << " outlived the phase";

  // A name the directory does not have is refused at submit, naming the entry.
  auto missing = parse_job_request_json(
      R"({"owner": "t", "repo_url": "https://h/r.git", "image_name": "r", "registry_url": "h:5000",
          "build": {"secrets": [{"id": "a", "source": "file:npmrc"}, {"id": "b", "source": "file:nope"}]}})");
  ASSERT_TRUE(missing);
  const auto refused = e.unsupported(*missing);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].path, "build.secrets[1].source");
  EXPECT_NE(refused[0].reason.find("'nope'"), std::string::npos) << refused[0].reason;
}

// sign.key_ref comes from the same directory as build secrets: the publish phase gets an owner-only copy
// for the runner, named in the spec, removed when the phase ends; a name the directory lacks is refused.
TEST_F(LocalExecutorTest, SigningKeyIsCopiedForPublishAndGoneOnceItEnds) {
  build_secrets_dir_ = dir_ / "operator-secrets";
  fs::create_directories(build_secrets_dir_);
  std::ofstream(build_secrets_dir_ / "signing.asc") << "-----BEGIN PGP PRIVATE KEY BLOCK-----\nsign-s3cret\n";
  auto& e = make();
  auto request = parse_job_request_json(
      R"({"owner": "t", "repo_url": "https://h/r.git", "image_name": "r", "registry_url": "h:5000",
          "sign": {"key_ref": "file:signing.asc"}})");
  ASSERT_TRUE(request) << request.error().describe();
  EXPECT_TRUE(e.unsupported(*request).empty());
  PhaseLaunch launch{.id = {"jsig", Phase::publish}, .request = *request};
  const std::string spec_text = start_and_read_spec(e, launch);
  ASSERT_FALSE(spec_text.empty());
  const json::value spec = json::parse(spec_text);
  const fs::path key(std::string(spec.at("credentials").at("signing_key_file").as_string()));
  EXPECT_EQ(key, dir_ / "phases" / "nbs-jsig-publish" / "build-secrets" / "signing-key");
  std::ifstream in(key);
  std::string line;
  std::getline(in, line);
  std::getline(in, line);
  EXPECT_EQ(line, "sign-s3cret");
  EXPECT_EQ(fs::status(key).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(spec_text.find("sign-s3cret"), std::string::npos) << "the key is in the spec";
  wait_for(launch.id, PhaseState::succeeded);
  EXPECT_TRUE(test_support::wait_until([&] { return !fs::exists(key); }, 10s))
      << key << " outlived the phase";

  for (const auto& [ref, why] :
       {std::pair{"file:nope", "'nope'"}, std::pair{"vault:secret/data/k#key", "Vault"}}) {
    auto bad = parse_job_request_json(
        std::string(
            R"({"owner": "t", "repo_url": "https://h/r.git", "image_name": "r", "registry_url": "h:5000",
          "sign": {"key_ref": ")") +
        ref + R"("}})");
    ASSERT_TRUE(bad) << bad.error().describe();
    const auto refused = e.unsupported(*bad);
    ASSERT_EQ(refused.size(), 1u) << ref;
    EXPECT_EQ(refused[0].path, "sign.key_ref");
    EXPECT_NE(refused[0].reason.find(why), std::string::npos) << refused[0].reason;
  }
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

// test.reports keep the container after `podman run`; the supervisor tries each path (the fake podman
// has none) and removes the container, before the task's end is seen.
TEST_F(LocalExecutorTest, ATestWithReportsKeepsItsContainerForTheCopiesThenRemovesIt) {
  auto& e = make();
  PhaseLaunch launch = test_launch("jrep", {"exit 0"});
  launch.request.test->reports = {"/out/junit.xml", "/out/log.txt"};
  ASSERT_TRUE(e.start(launch));
  wait_for(launch.id, PhaseState::succeeded);
  const std::string calls = podman_calls();
  EXPECT_NE(calls.find("cp nbs-jrep-test-cmd-0:/out/junit.xml -"), std::string::npos) << calls;
  EXPECT_NE(calls.find("rm --force --time 0 nbs-jrep-test-cmd-0"), std::string::npos) << calls;
  auto log = e.read_log(launch.id, "cmd-0", LogOrigin::start, 0, 65536);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->bytes.find("--rm\n"), std::string::npos) << log->bytes;  // the fake prints its argv
  auto reports = e.reports(launch.id);
  ASSERT_TRUE(reports);
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_EQ((*reports)[0].status, "missing");
  EXPECT_EQ((*reports)[1].path, "/out/log.txt");

  // Without reports, the container goes with `podman run --rm` as before.
  ASSERT_TRUE(e.start(test_launch("jnorep", {"exit 0"})));
  wait_for({"jnorep", Phase::test}, PhaseState::succeeded);
  auto plain = e.read_log({"jnorep", Phase::test}, "cmd-0", LogOrigin::start, 0, 65536);
  ASSERT_TRUE(plain);
  EXPECT_NE(plain->bytes.find("--rm\n"), std::string::npos) << plain->bytes;
}

TEST_F(LocalExecutorTest, ReadsTheCollectedReportsAndSummarisesJUnitOnce) {
  auto& e = make();
  const PhaseId id{"jread", Phase::test};
  const fs::path reports = dir_ / "phases" / id.name() / "tasks" / "cmd-1" / "reports";
  fs::create_directories(reports);
  std::ofstream(reports / "0")
      << R"(<testsuite><testcase classname="a" name="b"><failure message="m"/></testcase>)"
         R"(<testcase name="c"/></testsuite>)";
  std::ofstream(reports / "1") << "text";
  std::ofstream(reports / "manifest") << "file\t0\t90\t90\t/out/junit.xml\n"
                                         "file\t1\t9000\t4\t/out/x.log\n"
                                         "error\t/out/y\tpodman said no\n"
                                         "incomplete\t/out/dir\n"
                                         "garbage line\n";
  auto files = e.reports(id);
  ASSERT_TRUE(files);
  ASSERT_EQ(files->size(), 4u);
  const ReportFile& junit = (*files)[0];
  EXPECT_EQ(junit.task, "cmd-1");
  EXPECT_EQ(junit.status, "ok");
  ASSERT_TRUE(junit.junit);
  EXPECT_EQ(junit.junit->tests, 2);
  EXPECT_EQ(junit.junit->failures, 1);
  EXPECT_EQ(junit.junit->first_failure, "a.b");
  EXPECT_TRUE(fs::exists(reports / "0.junit"));  // parsed once, then read from here
  EXPECT_EQ((*files)[1].status, "truncated");
  EXPECT_EQ((*files)[1].kept, 4u);
  EXPECT_FALSE((*files)[1].junit);
  EXPECT_EQ((*files)[2].status, "error");
  EXPECT_EQ((*files)[2].message, "podman said no");
  EXPECT_EQ((*files)[3].status, "incomplete");

  auto again = e.reports(id);
  ASSERT_TRUE(again && (*again)[0].junit);
  EXPECT_EQ((*again)[0].junit->first_failure, "a.b");

  auto chunk = e.read_report(id, "cmd-1", 1, 1, 2);
  ASSERT_TRUE(chunk);
  EXPECT_EQ(chunk->bytes, "ex");
  EXPECT_EQ(chunk->total_size, 4u);
  EXPECT_FALSE(e.read_report(id, "../cmd-1", 1, 0, 10));
  EXPECT_FALSE(e.read_report(id, "cmd-1", 7, 0, 10));
  auto none = e.reports({"nojob", Phase::test});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace nbs::jobs
