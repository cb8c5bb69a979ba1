// The Nomad executor against tests/nomad_sim, which runs the phase jobs for real: raw_exec runs
// tests/unit/testutil/fake_runner as nbs-runner, and a small script stands in for podman. Covers
// idempotent start, phase states, logs by offset on a 22 MB log with bounded reading, the result file,
// stop, list, purge, the blocking watch with its timeout and interruption, test reports, and how many
// API requests watching a job costs.
#include "jobs/nomad_executor/nomad_executor.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "common/http_client.hpp"
#include "common/job_request_parser.hpp"
#include "common/secret_build_args.hpp"
#include "jobs/report_files.hpp"
#include "tests/unit/jobs/nomad/sim_server.hpp"
#include "tests/unit/testutil/test_dir.hpp"
#include "tests/unit/testutil/wait.hpp"

namespace nbs::jobs {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// UUID-shaped, as the orchestrator's: the executor must split "nbs-<uuid>-<phase>" from the right.
const std::string k_job_a = "0b5c3a1e-7d2f-4c11-9e0a-2f6d8b1c4a01";
const std::string k_job_b = "0b5c3a1e-7d2f-4c11-9e0a-2f6d8b1c4a02";

void write_script(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0755);
}

// Bytes this process has read from files and sockets so far (/proc/self/io rchar).
std::uint64_t bytes_read_by_process() {
  std::ifstream io("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") {
      return value;
    }
  }
  return 0;
}

class NomadExecutorSim : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = nbs::test_support::fresh_test_dir("nbs-nomad-executor");
    fs::create_directories(dir_ / "cache");
    // podman as the simulator calls it (flags, image, then the command): prints its arguments, then
    // by the last one: "fail" exits 7, "slow" takes 2 s, "hang" a minute.
    write_script(dir_ / "podman",
                 "#!/bin/sh\nlast=\nfor a in \"$@\"; do echo \"$a\"; last=$a; done\n"
                 "case \"$last\" in *fail*) exit 7;; *slow*) sleep 2;; *hang*) exec sleep 60;; esac\n"
                 "exit 0\n");
    // A runner whose stdout is 22,888,896 bytes of numbered lines ("1\n" … "3000000\n"), then waits.
    write_script(dir_ / "big-log-runner", "#!/bin/sh\nseq 1 3000000\nexec sleep 60\n");
    std::string why;
    sim_ = nomad::testing::SimServer::start(
        {"--host-volume", "nbs-cache=" + (dir_ / "cache").string(), "--podman", (dir_ / "podman").string()},
        why);
    ASSERT_TRUE(sim_) << why;
  }

  void TearDown() override {
    executor_.reset();
    sim_.reset();
    fs::remove_all(dir_);
  }

  specs::NomadSpecConfig spec_config() const {
    specs::NomadSpecConfig s;
    s.runner_driver = specs::RunnerDriver::raw_exec;
    s.runner_path = FAKE_RUNNER;
    s.build_user.clear();  // the simulator runs as root here; tasks stay root too
    s.test_driver = specs::ContainerDriver::podman;
    s.cache_dir = (dir_ / "cache").string();
    s.kill_timeout = 1s;
    return s;
  }

  NomadExecutor& make(std::optional<specs::NomadSpecConfig> specs = std::nullopt) {
    executor_.reset();
    NomadExecutorConfig config{.specs = specs ? *specs : spec_config()};
    config.nomad.address = sim_->address();
    auto e = NomadExecutor::create(std::move(config));
    EXPECT_TRUE(e) << e.error().message;
    executor_ = std::move(*e);
    return *executor_;
  }

  static PhaseLaunch launch(
      const std::string& job, Phase phase, const std::string& fake, int attempt = 1,
      const std::string& test = R"({"commands": ["make test", "fail now"], "entry_point": true})") {
    auto request = parse_job_request_json(R"({"owner": "t", "repo_url": "https://h/r.git", "image_name": "r",
                                              "registry_url": "h:5000", "test": )" +
                                          test + "}");
    EXPECT_TRUE(request) << request.error().message;
    return PhaseLaunch{.id = {job, phase, attempt},
                       .request = *request,
                       .runner_spec_json = R"({"job_id": ")" + job + R"(", "fake": )" + fake + "}",
                       .test_image = "h:5000/tmp:" + job};
  }

  // Follows the phase with wait_for_change (as the orchestrator does) until it reaches `state`;
  // returns every state observed on the way. Short waits: nomad-sim's job list, unlike Nomad's, does
  // not wake when only an allocation changes (see WaitForChangeNamesAJobWhoseAllocationChanged).
  std::vector<PhaseState> follow(const PhaseId& id, PhaseState state, std::chrono::seconds limit = 30s) {
    std::vector<PhaseState> seen;
    const auto deadline = Clock::now() + limit;
    std::uint64_t index = 0;
    while (Clock::now() < deadline) {
      auto o = executor_->observe(id);
      if (!o) {
        ADD_FAILURE() << o.error().message;
        return seen;
      }
      if (seen.empty() || seen.back() != o->state) {
        seen.push_back(o->state);
      }
      if (o->state == state) {
        return seen;
      }
      auto changes = executor_->wait_for_change(index, 1s);
      if (!changes) {
        ADD_FAILURE() << changes.error().message;
        return seen;
      }
      index = changes->index;
    }
    ADD_FAILURE() << id.name() << " did not become " << to_string(state);
    return seen;
  }

  // GET /sim/stats: (total /v1 requests, requests per route).
  std::pair<std::uint64_t, json::object> stats() {
    auto http = BlockingHttpClient::create();
    auto r = (*http)->request({.url = sim_->address() + "/sim/stats"});
    EXPECT_TRUE(r && r->status == 200);
    const json::object o = json::parse(r->body).as_object();
    return {o.at("total").to_number<std::uint64_t>(), o.at("requests").as_object()};
  }
  void reset_stats() {
    auto http = BlockingHttpClient::create();
    auto r = (*http)->request({.method = "DELETE", .url = sim_->address() + "/sim/stats"});
    EXPECT_TRUE(r && r->status == 200);
  }
  static std::uint64_t count(const json::object& requests, const std::string& route) {
    const auto* n = requests.if_contains(route);
    return n != nullptr ? n->to_number<std::uint64_t>() : 0;
  }

  fs::path dir_;
  std::unique_ptr<nomad::testing::SimServer> sim_;
  std::unique_ptr<NomadExecutor> executor_;
};

TEST_F(NomadExecutorSim, StartingTwiceRegistersOnce) {
  auto& e = make();
  const auto l = launch(k_job_a, Phase::build, R"({"sleep_ms": 300})");
  reset_stats();
  ASSERT_TRUE(e.start(l));
  auto again = e.start(l);
  ASSERT_TRUE(again) << again.error().message;
  auto [total, requests] = stats();
  EXPECT_EQ(count(requests, "PUT /v1/jobs"), 2u);
  auto listed = e.list(k_job_a);
  ASSERT_TRUE(listed);
  EXPECT_EQ(*listed, (std::vector<PhaseId>{l.id}));
  follow(l.id, PhaseState::succeeded);
  // The repeat created no second evaluation (nor allocation): one run only.
  auto http = BlockingHttpClient::create();
  auto evals = (*http)->request({.url = sim_->address() + "/v1/job/" + l.id.name() + "/evaluations"});
  ASSERT_TRUE(evals);
  EXPECT_EQ(json::parse(evals->body).as_array().size(), 1u);
  EXPECT_EQ(e.observe(l.id)->tasks.size(), 1u);
}

TEST_F(NomadExecutorSim, ABuildRunsFromPendingToSucceededWithLogAndResult) {
  auto& e = make();
  const auto l = launch(k_job_a, Phase::build, R"({"lines": ["hello", "world"], "sleep_ms": 1500})");
  EXPECT_EQ(e.observe(l.id)->state, PhaseState::absent);
  ASSERT_TRUE(e.start(l));
  const auto seen = follow(l.id, PhaseState::succeeded);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_TRUE(seen.front() == PhaseState::pending || seen.front() == PhaseState::running);
  EXPECT_NE(std::find(seen.begin(), seen.end(), PhaseState::running), seen.end());
  for (auto s : seen) {
    EXPECT_TRUE(s == PhaseState::pending || s == PhaseState::running || s == PhaseState::succeeded)
        << to_string(s);
  }
  auto o = e.observe(l.id);
  ASSERT_TRUE(o);
  ASSERT_EQ(o->tasks.size(), 1u);
  EXPECT_EQ(o->tasks[0].name, "runner");
  EXPECT_EQ(o->tasks[0].exit_code, 0);
  EXPECT_TRUE(o->started_at && o->finished_at);
  auto log = e.read_log(l.id, "runner", LogOrigin::start, 0, 1 << 20);
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_NE(log->bytes.find("\"phase_start\""), std::string::npos);
  EXPECT_NE(log->bytes.find("hello\nworld\n"), std::string::npos);
  EXPECT_EQ(log->total_size, log->bytes.size());
  auto result = e.read_result(l.id);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(*result, R"({"digest":"sha256:feed","size":42})");
}

// Secret build args wait in the Variable nomad/jobs/<phase job> until the build task has started (its
// template has rendered them by then), and stop and purge remove them too.
TEST_F(NomadExecutorSim, SecretBuildArgsWaitInTheJobsVariableUntilTheTaskStarts) {
  auto& e = make();
  auto l = launch(k_job_a, Phase::build, R"({"sleep_ms": 1500})");
  l.request.build_args = {{"NPM_TOKEN", "s3cr3t-value"}, {"MODE", "ci"}};
  l.request.secret_build_args = {"NPM_TOKEN"};
  auto http = BlockingHttpClient::create();
  const std::string variable = sim_->address() + "/v1/var/nomad/jobs/" + l.id.name();
  ASSERT_TRUE(e.start(l));
  auto stored = (*http)->request({.url = variable});
  ASSERT_TRUE(stored && stored->status == 200) << (stored ? stored->body : stored.error().message);
  const auto items = json::parse(stored->body).at("Items").as_object();
  auto values = decode_secret_build_args(items.at("build_args").as_string());
  ASSERT_TRUE(values) << values.error().message;
  EXPECT_EQ(*values, (std::map<std::string, std::string>{{"NPM_TOKEN", "s3cr3t-value"}}));

  follow(l.id, PhaseState::running);
  auto gone = (*http)->request({.url = variable});
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 404) << gone->body;

  // Started and purged before anyone looked: purge removes them.
  auto second = l;
  second.id.job_id = k_job_b;
  ASSERT_TRUE(e.start(second));
  ASSERT_TRUE(e.purge(second.id));
  auto purged = (*http)->request({.url = sim_->address() + "/v1/var/nomad/jobs/" + second.id.name()});
  ASSERT_TRUE(purged);
  EXPECT_EQ(purged->status, 404) << purged->body;
}

// What a restart forgot, sweep removes: the Variable of a phase that ran, not the fresh one of a phase
// about to be registered.
TEST_F(NomadExecutorSim, SweepRemovesSecretBuildArgsARestartForgot) {
  auto l = launch(k_job_a, Phase::build, R"({"sleep_ms": 300})");
  l.request.build_args = {{"NPM_TOKEN", "s3cr3t-value"}};
  l.request.secret_build_args = {"NPM_TOKEN"};
  ASSERT_TRUE(make().start(l));
  auto& restarted = make();  // remembers nothing of the start
  follow(l.id, PhaseState::succeeded);
  auto http = BlockingHttpClient::create();
  const std::string variable = sim_->address() + "/v1/var/nomad/jobs/" + l.id.name();
  auto left = (*http)->request({.url = variable});
  ASSERT_TRUE(left);
  ASSERT_EQ(left->status, 200) << "observe removed what it did not start: the test proves nothing";
  auto fresh = (*http)->request({.method = "PUT",
                                 .url = sim_->address() + "/v1/var/nomad/jobs/nbs-" + k_job_b + "-build",
                                 .body = R"({"Items":{"build_args":"e30="}})"});
  ASSERT_TRUE(fresh && fresh->status == 200);

  auto swept = restarted.sweep();
  ASSERT_TRUE(swept) << swept.error().message;
  EXPECT_EQ(*swept, std::vector<std::string>{"secret build args of " + l.id.name()});
  EXPECT_EQ((*http)->request({.url = variable})->status, 404);
  EXPECT_EQ(
      (*http)->request({.url = sim_->address() + "/v1/var/nomad/jobs/nbs-" + k_job_b + "-build"})->status,
      200);
}

TEST_F(NomadExecutorSim, AFailingRunnerGivesItsExitCodeAndNoResult) {
  auto& e = make();
  const auto l = launch(k_job_a, Phase::publish, R"({"exit": 3})");
  ASSERT_TRUE(e.start(l));
  follow(l.id, PhaseState::failed);
  auto o = e.observe(l.id);
  ASSERT_EQ(o->tasks.size(), 1u);
  EXPECT_EQ(o->tasks[0].exit_code, 3);
  EXPECT_EQ(o->tasks[0].message, "exit code 3");
  EXPECT_EQ(o->message, "task runner: exit code 3");
  auto result = e.read_result(l.id);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::not_found);
  EXPECT_TRUE(result.error().message.starts_with("result: " + l.id.name() + " has written no result"))
      << result.error().message;
  auto tail = e.read_log(l.id, "runner", LogOrigin::end, 0, 4096);
  ASSERT_TRUE(tail);
  EXPECT_NE(tail->bytes.find("RUN make: exit status 3"), std::string::npos);
}

TEST_F(NomadExecutorSim, ATestPhaseRunsOneTaskPerCommandAndTheEntryPoint) {
  auto& e = make();
  const auto l = launch(k_job_a, Phase::test, "{}");
  ASSERT_TRUE(e.start(l));
  follow(l.id, PhaseState::failed);  // as soon as one task failed; the others may still run
  std::map<std::string, TaskObservation> tasks;
  auto all_done = [&] {
    auto o = e.observe(l.id);
    EXPECT_TRUE(o && o->state == PhaseState::failed);
    for (const auto& t : o->tasks) {
      tasks[t.name] = t;
    }
    // A group whose task has not reported yet has no TaskObservation at all.
    return tasks.size() == 3 && std::none_of(tasks.begin(), tasks.end(), [](const auto& t) {
             return t.second.state == PhaseState::pending || t.second.state == PhaseState::running;
           });
  };
  test_support::wait_until(all_done, 10s, 50ms);
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks["cmd-0"].state, PhaseState::succeeded);
  EXPECT_EQ(tasks["cmd-1"].state, PhaseState::failed);
  EXPECT_EQ(tasks["cmd-1"].exit_code, 7);
  EXPECT_EQ(tasks["entry-point"].state, PhaseState::succeeded);
  auto log = e.read_log(l.id, "cmd-1", LogOrigin::start, 0, 4096);
  ASSERT_TRUE(log);
  // The command runs through /bin/sh with the image's ENTRYPOINT replaced, as one argument.
  EXPECT_NE(
      log->bytes.find("--entrypoint=[\"/bin/sh\",\"-c\"]\nh:5000/tmp:" + k_job_a + "\nexec 2>&1\nfail now\n"),
      std::string::npos)
      << log->bytes;
  auto unknown = e.read_log(l.id, "cmd-9", LogOrigin::start, 0, 10);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "logs: task 'cmd-9' not found in " + l.id.name());
  auto absent = e.read_log({k_job_b, Phase::test}, "cmd-0", LogOrigin::start, 0, 10);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().message, "logs: phase nbs-" + k_job_b + "-test not found");
}

TEST_F(NomadExecutorSim, LogsOfA22MbLogAreReadByOffsetWithoutReadingTheWholeLog) {
  auto specs = spec_config();
  specs.runner_path = (dir_ / "big-log-runner").string();
  auto& e = make(specs);
  const auto l = launch(k_job_a, Phase::build, "{}");
  ASSERT_TRUE(e.start(l));
  std::string expected;
  for (int i = 1; i <= 3000000; ++i) {
    expected += std::to_string(i) + "\n";
  }
  ASSERT_EQ(expected.size(), 22888896u);
  ASSERT_TRUE(test_support::wait_until(
      [&] {
        auto probe = e.read_log(l.id, "runner", LogOrigin::end, 0, 1);
        EXPECT_TRUE(probe) << probe.error().message;
        return probe && probe->total_size == expected.size();
      },
      60s, 100ms));
  // Windows at the start, across the 10 MiB rotation boundaries, and from the end.
  struct Window {
    LogOrigin origin;
    std::uint64_t offset;
    std::size_t max;
    std::uint64_t begin;  // expected [begin, end)
    std::uint64_t end;
  };
  const std::uint64_t total = expected.size();
  const std::uint64_t mib10 = std::uint64_t{10} * 1024 * 1024;
  for (const auto& w :
       {Window{LogOrigin::start, 0, 12, 0, 12}, Window{LogOrigin::start, mib10 - 5, 10, mib10 - 5, mib10 + 5},
        Window{LogOrigin::start, 2 * mib10 - 3, 7, 2 * mib10 - 3, 2 * mib10 + 4},
        Window{LogOrigin::start, total - 4, 100, total - 4, total},
        Window{LogOrigin::start, total + 10, 100, total, total},
        Window{LogOrigin::end, 0, 16, total - 16, total}, Window{LogOrigin::end, 8, 8, total - 16, total - 8},
        Window{LogOrigin::end, total - 3, 100, 0, 3},
        Window{LogOrigin::end, mib10, 6, total - mib10 - 6, total - mib10}}) {
    auto chunk = e.read_log(l.id, "runner", w.origin, w.offset, w.max);
    ASSERT_TRUE(chunk) << chunk.error().message;
    EXPECT_EQ(chunk->total_size, total);
    EXPECT_EQ(chunk->offset, w.begin)
        << "origin " << (w.origin == LogOrigin::end ? "end" : "start") << " offset " << w.offset;
    EXPECT_EQ(chunk->bytes, expected.substr(w.begin, w.end - w.begin)) << "at " << w.begin;
  }
  EXPECT_EQ(e.read_log(l.id, "runner", LogOrigin::end, 0, 16)->bytes, "2999999\n3000000\n");
  // 100 bytes 20 MB into the log: the process reads a bounded amount, not the 22 MB.
  const std::uint64_t before = bytes_read_by_process();
  auto deep = e.read_log(l.id, "runner", LogOrigin::start, 20'000'000, 100);
  const std::uint64_t read = bytes_read_by_process() - before;
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->bytes, expected.substr(20'000'000, 100));
  EXPECT_LT(read, 2u * 1024 * 1024) << "read " << read << " bytes for a 100-byte window";
  ASSERT_TRUE(e.stop(l.id, 1s));
}

TEST_F(NomadExecutorSim, StopEndsARunningPhaseAndIsANoOpOtherwise) {
  auto& e = make();
  const auto l = launch(k_job_a, Phase::build, R"({"sleep_ms": 30000})");
  ASSERT_TRUE(e.start(l));
  follow(l.id, PhaseState::running);
  const auto asked = Clock::now();
  ASSERT_TRUE(e.stop(l.id, 30s));
  follow(l.id, PhaseState::failed);
  EXPECT_LT(Clock::now() - asked, 5s);
  auto o = e.observe(l.id);
  ASSERT_EQ(o->tasks.size(), 1u);
  EXPECT_NE(o->tasks[0].message.find("Kill"), std::string::npos) << o->tasks[0].message;
  reset_stats();
  EXPECT_TRUE(e.stop(l.id, 30s));                     // finished: no second deregistration
  EXPECT_TRUE(e.stop({k_job_b, Phase::build}, 30s));  // never started
  EXPECT_EQ(count(stats().second, "DELETE /v1/job/:id"), 0u);
  // Stopped, not purged: still listed until purge.
  EXPECT_EQ(e.list(k_job_a)->size(), 1u);
}

TEST_F(NomadExecutorSim, ARunnerIgnoringSigtermIsKilledAfterTheKillTimeout) {
  auto& e = make();  // kill_timeout 1 s
  const auto l = launch(k_job_a, Phase::build, R"({"sleep_ms": 30000, "ignore_term": true})");
  ASSERT_TRUE(e.start(l));
  follow(l.id, PhaseState::running);
  const auto asked = Clock::now();
  ASSERT_TRUE(e.stop(l.id, 1s));
  follow(l.id, PhaseState::failed);
  EXPECT_GE(Clock::now() - asked, 900ms);
  EXPECT_LT(Clock::now() - asked, 6s);
}

TEST_F(NomadExecutorSim, ListsPhasesOfOneJobOrAllAndPurgesThem) {
  auto& e = make();
  const auto a1 = launch(k_job_a, Phase::build, "{}");
  const auto a2 = launch(k_job_a, Phase::publish, "{}", 2);
  const auto b1 = launch(k_job_b, Phase::build, "{}");
  for (const auto* l : {&a1, &a2, &b1}) {
    ASSERT_TRUE(e.start(*l));
  }
  // Not ours: same prefix family but not a phase name.
  auto http = BlockingHttpClient::create();
  auto other = (*http)->request({.method = "PUT",
                                 .url = sim_->address() + "/v1/jobs",
                                 .body = R"({"Job":{"ID":"nbs-other","Type":"batch","TaskGroups":[{"Name":"g",
                                   "Tasks":[{"Name":"t","Driver":"raw_exec","Config":{"command":"/bin/true"}}]}]}})"});
  ASSERT_TRUE(other && other->status == 200);
  auto all = e.list("");
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(*all, (std::vector<PhaseId>{a1.id, a2.id, b1.id}));
  EXPECT_EQ(*e.list(k_job_a), (std::vector<PhaseId>{a1.id, a2.id}));
  EXPECT_EQ((*e.list(k_job_a))[1].attempt, 2);
  follow(a1.id, PhaseState::succeeded);
  ASSERT_TRUE(e.purge(a1.id));
  ASSERT_TRUE(e.purge(a2.id));
  EXPECT_TRUE(e.list(k_job_a)->empty());
  EXPECT_EQ(e.observe(a1.id)->state, PhaseState::absent);
  EXPECT_TRUE(e.purge(a1.id));  // purging again is fine
  EXPECT_EQ(*e.list(""), (std::vector<PhaseId>{b1.id}));
}

TEST_F(NomadExecutorSim, WaitForChangeAnswersAtOnceOnAChangeAndAfterTheTimeoutOtherwise) {
  auto& e = make();
  auto first = e.wait_for_change(0, 10s);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->everything);  // index 0: a plain read, nothing to compare with
  const std::uint64_t index = first->index;

  auto before = Clock::now();
  auto quiet = e.wait_for_change(index, 1s);
  auto waited = Clock::now() - before;
  ASSERT_TRUE(quiet);
  EXPECT_EQ(quiet->index, index);
  EXPECT_TRUE(quiet->job_ids.empty());
  EXPECT_FALSE(quiet->everything);
  EXPECT_GE(waited, 950ms);
  EXPECT_LT(waited, 1s + 1s / 16 + 500ms);

  Clock::time_point started;
  std::thread starter([&] {
    std::this_thread::sleep_for(300ms);
    started = Clock::now();
    EXPECT_TRUE(executor_->start(launch(k_job_b, Phase::build, R"({"sleep_ms": 200})")));
  });
  auto changed = e.wait_for_change(index, 20s);
  const auto returned = Clock::now();
  starter.join();
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_GT(changed->index, index);
  EXPECT_FALSE(changed->everything);
  EXPECT_LT(returned - started, 500ms);
  // Registered, placed, starting: nothing an observer acts on, so the job is not named until it ends.
  EXPECT_TRUE(changed->job_ids.empty());
  std::vector<std::string> named = changed->job_ids;
  std::uint64_t at = changed->index;
  const auto deadline = Clock::now() + 10s;
  while (named.empty() && Clock::now() < deadline) {
    auto next = e.wait_for_change(at, 5s);
    ASSERT_TRUE(next) << next.error().message;
    at = next->index;
    named = next->job_ids;
  }
  EXPECT_EQ(named, std::vector<std::string>{k_job_b});
  EXPECT_EQ(e.observe(launch(k_job_b, Phase::build, "{}").id)->state, PhaseState::succeeded);
}

// Nomad answers the job list with the higher of the jobs and job_summary indexes, so it wakes when an
// allocation changes client status although the job's own ModifyIndex stays. The executor must then
// name that job from its summary. (nomad-sim only wakes it on job changes, so another job's start
// wakes it here.)
TEST_F(NomadExecutorSim, WaitForChangeNamesAJobWhoseAllocationChanged) {
  auto& e = make();
  const auto a = launch(k_job_a, Phase::test, "{}", 1, R"({"commands": ["slow", "hang"]})");
  ASSERT_TRUE(e.start(a));
  follow(a.id, PhaseState::running);
  const auto taken = e.wait_for_change(0, 0ms);
  ASSERT_TRUE(taken);
  const std::uint64_t index = taken->index;
  // cmd-0 finishes, cmd-1 keeps running: the job stays "running" with the same ModifyIndex.
  auto cmd0 = [&] {
    const auto o = e.observe(a.id);
    for (const auto& t : o->tasks) {
      if (t.name == "cmd-0") {
        return t.state;
      }
    }
    return PhaseState::absent;
  };
  test_support::wait_until([&] { return cmd0() == PhaseState::succeeded; }, 10s, 100ms);
  ASSERT_EQ(cmd0(), PhaseState::succeeded);
  EXPECT_EQ(e.observe(a.id)->state, PhaseState::running);
  const auto b = launch(k_job_b, Phase::build, R"({"sleep_ms": 60000})");
  ASSERT_TRUE(e.start(b));
  auto changes = e.wait_for_change(index, 5s);
  ASSERT_TRUE(changes) << changes.error().message;
  EXPECT_FALSE(changes->everything);
  // Job b only started: not named (see WaitForChangeAnswersAtOnce...).
  EXPECT_EQ(changes->job_ids, (std::vector<std::string>{k_job_a}));
  ASSERT_TRUE(e.purge(a.id));
  ASSERT_TRUE(e.purge(b.id));
}

TEST_F(NomadExecutorSim, InterruptWaitsEndsABlockingQueryInFlight) {
  auto& e = make();
  const std::uint64_t index = e.wait_for_change(0, 0ms)->index;
  Clock::time_point interrupted;
  std::thread interrupter([&] {
    std::this_thread::sleep_for(300ms);
    interrupted = Clock::now();
    executor_->interrupt_waits();
  });
  const auto before = Clock::now();
  auto changes = e.wait_for_change(index, 60s);
  const auto returned = Clock::now();
  interrupter.join();
  ASSERT_TRUE(changes) << changes.error().message;
  EXPECT_EQ(changes->index, index);
  EXPECT_TRUE(changes->job_ids.empty());
  EXPECT_GE(returned - before, 250ms);
  EXPECT_LT(returned - interrupted, 200ms);
  // The next wait is a fresh one: it blocks again, and sees changes again.
  auto again = e.wait_for_change(index, 300ms);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->index, index);
}

TEST_F(NomadExecutorSim, ACallOfAnInterruptedEpochFailsWithoutBeingSent) {
  nomad::Config config;
  config.address = sim_->address();
  auto transport = nomad::CancellableTransport::create(config);
  ASSERT_TRUE(transport) << transport.error().message;
  auto& t = **transport;
  const HttpRequest leader{.url = sim_->address() + "/v1/status/leader"};
  auto bound = t.bound(t.epoch());
  reset_stats();
  auto sent = bound->send(leader);
  ASSERT_TRUE(sent && sent->status == 200);
  t.interrupt();
  auto refused = bound->send(leader);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(nomad::is_interrupted(refused.error())) << refused.error().message;
  EXPECT_EQ(stats().first, 1u);
  auto fresh = t.bound(t.epoch())->send(leader);
  ASSERT_TRUE(fresh && fresh->status == 200);
}

// DESIGN.md: API calls per job grow with its events, not its duration. The loop below is what the
// orchestrator does (one blocking query for all jobs, an observe per change of this job).
TEST_F(NomadExecutorSim, WatchingAJobCostsRequestsPerEventNotPerSecond) {
  auto& e = make();
  auto watch = [&](const std::string& job, int sleep_ms) {
    const auto l = launch(job, Phase::build, R"({"sleep_ms": )" + std::to_string(sleep_ms) + "}");
    std::uint64_t index = e.wait_for_change(0, 0ms)->index;
    reset_stats();
    EXPECT_TRUE(e.start(l));
    while (true) {
      auto changes = e.wait_for_change(index, 30s);
      EXPECT_TRUE(changes);
      if (!changes) {
        break;
      }
      index = changes->index;
      if (std::find(changes->job_ids.begin(), changes->job_ids.end(), job) != changes->job_ids.end()) {
        auto o = e.observe(l.id);
        if (o && o->state == PhaseState::succeeded) {
          break;
        }
      }
    }
    return stats();
  };
  // The short phase still lasts long enough for its task's pending → running → complete to be seen as
  // separate changes, as the long one's are; a shorter one can cost fewer when they coalesce.
  auto [short_total, short_requests] = watch(k_job_a, 2000);
  auto [long_total, long_requests] = watch(k_job_b, 8000);
  std::cout << "requests for a 2 s phase: " << short_total << " " << json::serialize(short_requests) << "\n"
            << "requests for an 8 s phase: " << long_total << " " << json::serialize(long_requests) << "\n";
  RecordProperty("requests_short_phase", static_cast<int>(short_total));
  RecordProperty("requests_long_phase", static_cast<int>(long_total));
  EXPECT_LE(short_total, 12u);
  EXPECT_LE(long_total, 12u);
  // 4× longer, (almost) the same requests: the job list's blocking query may wake once or twice more
  // as the simulated client reports the task (a poll would cost one request per second more).
  EXPECT_LE(long_total, short_total + 3);
  // Fewer than one per second of the phase (a poll's count), wakes included: 4 to 6 seen under load.
  EXPECT_LE(count(long_requests, "GET /v1/jobs"), 6u);
}

// The reconciler observes a phase on every change and on idle checks: once the job's groups are known
// (from start, or one read of the job by an executor that did not start it), a look is one request.
TEST_F(NomadExecutorSim, ObservingAPlacedPhaseReadsOnlyItsAllocations) {
  auto& e = make();
  const auto l = launch(k_job_a, Phase::build, R"({"sleep_ms": 200})");
  ASSERT_TRUE(e.start(l));
  follow(l.id, PhaseState::succeeded);
  reset_stats();
  ASSERT_EQ(e.observe(l.id)->state, PhaseState::succeeded);
  auto [total, requests] = stats();
  EXPECT_EQ(total, 1u) << json::serialize(requests);
  EXPECT_EQ(count(requests, "GET /v1/job/:id/allocations"), 1u);
  // An executor that did not start the phase (a restarted daemon) reads the job once.
  auto& fresh = make();
  reset_stats();
  ASSERT_EQ(fresh.observe(l.id)->state, PhaseState::succeeded);
  ASSERT_EQ(fresh.observe(l.id)->state, PhaseState::succeeded);
  std::tie(total, requests) = stats();
  EXPECT_EQ(total, 3u) << json::serialize(requests);
  EXPECT_EQ(count(requests, "GET /v1/job/:id"), 1u);
  // Purged by another executor: the job list shows it gone, and the phase is absent again although
  // Nomad still lists its allocations until garbage collection.
  NomadExecutorConfig config{.specs = spec_config()};
  config.nomad.address = sim_->address();
  auto other = NomadExecutor::create(std::move(config));
  ASSERT_TRUE(other) << other.error().message;
  const std::uint64_t index = fresh.wait_for_change(0, 0ms)->index;
  ASSERT_TRUE((*other)->purge(l.id));
  ASSERT_TRUE(fresh.wait_for_change(index, 5s));
  EXPECT_EQ(fresh.observe(l.id)->state, PhaseState::absent);
}

// A phase without allocations still needs its job and evaluations (placement), every time.
TEST_F(NomadExecutorSim, AnUnplacedPhaseIsJudgedFromItsJobAndEvaluations) {
  auto& e = make();
  auto http = BlockingHttpClient::create();
  auto fault = (*http)->request(
      {.method = "POST", .url = sim_->address() + "/sim/faults", .body = R"({"fail_placement": 1})"});
  ASSERT_TRUE(fault && fault->status == 200) << (fault ? fault->body : fault.error().message);
  const auto l = launch(k_job_a, Phase::build, "{}");
  ASSERT_TRUE(e.start(l));
  reset_stats();
  auto o = e.observe(l.id);
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->state, PhaseState::unplaceable) << o->message;
  auto [total, requests] = stats();
  EXPECT_EQ(total, 3u) << json::serialize(requests);
  EXPECT_EQ(count(requests, "GET /v1/job/:id/evaluations"), 1u);
  ASSERT_TRUE(e.purge(l.id));
  EXPECT_EQ(e.observe(l.id)->state, PhaseState::absent);
}

// The tail of a log is read again and again (progress, excerpts, getLogs): where the task runs is
// remembered, and a finished task's log size too.
TEST_F(NomadExecutorSim, ARepeatedLogReadCostsOneRequestOnceTheTaskFinished) {
  auto& e = make();
  const auto l = launch(k_job_a, Phase::build, R"({"lines": ["hello", "world"], "sleep_ms": 3000})");
  ASSERT_TRUE(e.start(l));
  follow(l.id, PhaseState::running);
  ASSERT_TRUE(e.read_log(l.id, "runner", LogOrigin::end, 0, 4096));
  reset_stats();
  auto running = e.read_log(l.id, "runner", LogOrigin::end, 0, 4096);
  ASSERT_TRUE(running) << running.error().message;
  auto [total, requests] = stats();
  // Its size, then the bytes if it grew since the last read (on a loaded machine the task may have
  // written everything before the first read): never the allocations again.
  EXPECT_GE(total, 1u) << json::serialize(requests);
  EXPECT_LE(total, 2u) << json::serialize(requests);
  EXPECT_EQ(count(requests, "GET /v1/job/:id/allocations"), 0u);
  follow(l.id, PhaseState::succeeded);
  auto first = e.read_log(l.id, "runner", LogOrigin::end, 0, 4096);  // takes the final size
  ASSERT_TRUE(first) << first.error().message;
  reset_stats();
  auto again = e.read_log(l.id, "runner", LogOrigin::end, 0, 4096);
  ASSERT_TRUE(again) << again.error().message;
  std::tie(total, requests) = stats();
  EXPECT_EQ(total, 1u) << json::serialize(requests);
  EXPECT_EQ(count(requests, "GET /v1/client/fs/logs/:alloc"), 1u);
  EXPECT_EQ(again->bytes, first->bytes);
  EXPECT_EQ(again->offset, first->offset);
  EXPECT_EQ(again->total_size, first->total_size);
  EXPECT_NE(again->bytes.find("hello\nworld\n"), std::string::npos);
  // From the start, a window inside the log, and the size alone (no bytes: no request).
  auto head = e.read_log(l.id, "runner", LogOrigin::start, 2, 5);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->bytes, first->bytes.substr(2, 5));
  reset_stats();
  auto size = e.read_log(l.id, "runner", LogOrigin::end, 0, 0);
  ASSERT_TRUE(size);
  EXPECT_EQ(size->total_size, first->total_size);
  EXPECT_EQ(stats().first, 0u);
  // Purged: the phase is forgotten, and reading it asks Nomad again.
  ASSERT_TRUE(e.purge(l.id));
  reset_stats();
  (void)e.read_log(l.id, "runner", LogOrigin::end, 0, 4096);
  EXPECT_EQ(count(stats().second, "GET /v1/job/:id/allocations"), 1u);
}

// The reconciler reads a finished build's result on every pass until the job record is final.
TEST_F(NomadExecutorSim, AFinishedResultIsReadFromNomadOnce) {
  auto& e = make();
  const auto l = launch(k_job_a, Phase::build, "{}");
  ASSERT_TRUE(e.start(l));
  follow(l.id, PhaseState::succeeded);
  reset_stats();
  for (int i = 0; i < 3; ++i) {
    auto result = e.read_result(l.id);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(*result, R"({"digest":"sha256:feed","size":42})");
  }
  auto [total, requests] = stats();
  EXPECT_EQ(total, 1u) << json::serialize(requests);
  EXPECT_EQ(count(requests, "GET /v1/client/fs/cat/:alloc"), 1u);
  // A fresh executor finds the allocation first.
  auto& fresh = make();
  reset_stats();
  ASSERT_TRUE(fresh.read_result(l.id));
  ASSERT_TRUE(fresh.read_result(l.id));
  EXPECT_EQ(stats().first, 2u);
}

TEST_F(NomadExecutorSim, ReadyAsksForTheLeader) {
  auto& e = make();
  EXPECT_TRUE(e.ready());
  sim_.reset();
  auto down = e.ready();
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().kind, ErrorKind::unavailable);
}

// test.reports through the real wrapper and the fs API: a podman that runs the container's script on the
// host, with the alloc dir where the simulator mounts it, so the report paths are host paths. The caps of
// the local executor apply (1 MiB of a file, 64 files of a task: "incomplete" past it), a link inside a
// directory is not read (it points at /etc/passwd), and the command's exit status is the task's.
TEST_F(NomadExecutorSim, TestReportsAreReadFromTheAllocDirWithTheLocalCaps) {
  write_script(dir_ / "podman",
               "#!/bin/sh\nalloc=\nwhile [ $# -gt 0 ]; do\n  case \"$1\" in\n"
               "    *:/alloc) alloc=${1%:/alloc};;\n    h:5000/tmp:*) shift; break;;\n  esac\n  shift\ndone\n"
               "script=$(printf '%s\\n' \"$1\" | sed \"s#/alloc/data#$alloc/data#\")\nshift\n"
               "exec /bin/sh -c \"$script\" \"$@\"\n");
  auto& e = make();
  const std::string out = (dir_ / "out").string();
  const std::string command =
      "mkdir -p " + out + "/many " + out +
      "/tree/sub && printf '%s' '<testsuite>"
      "<testcase classname=\"c\" name=\"n\"><failure message=\"m\"/></testcase></testsuite>' > " +
      out + "/junit.xml && for i in $(seq 1 70); do echo $i > " + out +
      "/many/f$i; done && head -c 1100000 "
      "/dev/zero > " +
      out + "/tree/big && echo s > " + out + "/tree/sub/small && ln -s /etc/passwd " + out +
      "/tree/link && mkfifo " + out + "/fifo; exit 4";
  json::object test{{"commands", json::array{json::string(command)}},
                    {"reports", json::array{json::string(out + "/junit.xml"), json::string(out + "/tree"),
                                            json::string(out + "/many"), json::string(out + "/nope"),
                                            json::string(out + "/fifo")}}};
  const auto l = launch(k_job_a, Phase::test, "{}", 1, json::serialize(test));
  ASSERT_TRUE(e.start(l));
  follow(l.id, PhaseState::failed);
  const auto o = e.observe(l.id);
  ASSERT_TRUE(o);
  ASSERT_EQ(o->tasks.size(), 1u);
  EXPECT_EQ(o->tasks[0].exit_code, 4);

  auto files = e.reports(l.id);
  ASSERT_TRUE(files) << files.error().message;
  std::map<std::string, ReportFile> by_path;
  std::size_t many = 0;
  for (const auto& f : *files) {
    EXPECT_EQ(f.task, "cmd-0");
    many += f.path.starts_with(out + "/many/") ? 1 : 0;
    by_path[f.path] = f;
  }
  const ReportFile& junit = by_path[out + "/junit.xml"];
  EXPECT_EQ(junit.status, "ok");
  ASSERT_TRUE(junit.junit);
  EXPECT_EQ(junit.junit->tests, 1);
  EXPECT_EQ(junit.junit->failures, 1);
  EXPECT_EQ(junit.junit->first_failure, "c.n");
  const ReportFile& big = by_path[out + "/tree/big"];
  EXPECT_EQ(big.status, "truncated");
  EXPECT_EQ(big.size, 1100000u);
  EXPECT_EQ(big.kept, k_report_file_bytes);
  EXPECT_EQ(by_path[out + "/tree/sub/small"].status, "ok");
  EXPECT_EQ(by_path.count(out + "/tree/link"), 0u);
  EXPECT_EQ(many, k_report_max_files - 3);  // junit.xml, big and small came first
  EXPECT_EQ(by_path[out + "/many"].status, "incomplete");
  EXPECT_EQ(by_path[out + "/nope"].status, "missing");
  EXPECT_EQ(by_path[out + "/fifo"].status, "error");
  EXPECT_EQ(by_path[out + "/fifo"].message, "not a regular file or a directory");

  auto last = e.read_report(l.id, "cmd-0", big.index, big.kept - 10, 32768);
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(last->bytes, std::string(10, '\0'));
  EXPECT_EQ(last->total_size, big.kept);
  auto small = e.read_report(l.id, "cmd-0", by_path[out + "/tree/sub/small"].index, 0, 100);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->bytes, "s\n");
  const auto before = stats().first;
  ASSERT_TRUE(e.reports(l.id));  // read once: the second list asks nothing of Nomad
  EXPECT_EQ(stats().first, before);
}

// test.reports is collected from test.commands; the entry-point test has no shell of ours to copy them,
// and a path with "${" would be read by Nomad as a variable: both refused at submit, named.
TEST_F(NomadExecutorSim, RefusesTestReportsItCannotCollect) {
  auto& e = make();
  auto request = parse_job_request_json(R"({"owner": "t", "repo_url": "https://h/r.git", "image_name": "r",
      "registry_url": "h:5000", "test": {"commands": ["true"], "reports": ["/out/junit.xml"]}})");
  ASSERT_TRUE(request) << request.error().describe();
  EXPECT_TRUE(e.unsupported(*request).empty());
  request->test->entry_point = true;
  auto refused = e.unsupported(*request);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].path, "test.reports");
  EXPECT_NE(refused[0].reason.find("entry-point"), std::string::npos) << refused[0].reason;
  request->test->entry_point = false;
  request->test->reports.push_back("/out/${NOMAD_TASK_NAME}.xml");
  refused = e.unsupported(*request);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].path, "test.reports[1]");
}

TEST(NomadExecutorConfig, FromEnvNamesTheBadVariable) {
  auto e = NomadExecutor::from_env({{"NOMAD_ADDR", "ftp://x"}}, {});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind, ErrorKind::invalid_argument);
  EXPECT_NE(e.error().message.find("NOMAD_ADDR"), std::string::npos) << e.error().message;
}

}  // namespace
}  // namespace nbs::jobs
