// Checklist point 7 (alloc/task state machine) and task execution: raw_exec argv, environment,
// templates, host volumes, users, restarts, stop with KillSignal/KillTimeout, placement failures.
#include <chrono>
#include <fstream>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/nomad_sim/test/sim_client.hpp"
#include "tests/nomad_sim/test/sim_process.hpp"
#include "tests/nomad_sim/test/test_util.hpp"

namespace nbs::nomad_sim::test {
namespace {

class Tasks : public ::testing::Test {
 protected:
  SimProcess sim_;
  SimClient client_{sim_.address()};

  std::string plain_log(const std::string& alloc, const std::string& type = "stdout") {
    return client_.get("/v1/client/fs/logs/" + alloc + "?task=t&type=" + type + "&plain=true").body;
  }
};

TEST_F(Tasks, Checklist07_RawExecExit3FailsWithExitCodeAndLogs) {
  register_job(client_, batch_job("fail3", {"/bin/sh", "-c", "echo hi; exit 3"}));
  const std::string id = wait_first_alloc(client_, "fail3");
  ASSERT_FALSE(id.empty());
  const json::object alloc = wait_alloc(client_, id, alloc_terminal);
  EXPECT_EQ(alloc.at("ClientStatus").as_string(), "failed");
  EXPECT_EQ(alloc.at("ClientDescription").as_string(), "Failed tasks");
  const json::object& state = alloc.at("TaskStates").at("t").as_object();
  EXPECT_EQ(state.at("State").as_string(), "dead");
  EXPECT_EQ(state.at("Failed").as_bool(), true);
  EXPECT_EQ(event_types(alloc, "t"),
            (std::vector<std::string>{"Received", "Task Setup", "Started", "Terminated", "Not Restarting"}));
  const json::object terminated = find_event(alloc, "t", "Terminated");
  EXPECT_EQ(terminated.at("ExitCode").to_number<int>(), 3);
  EXPECT_EQ(terminated.at("Details").at("exit_code").as_string(), "3");
  const json::object not_restarting = find_event(alloc, "t", "Not Restarting");
  EXPECT_EQ(not_restarting.at("FailsTask").as_bool(), true);
  EXPECT_EQ(not_restarting.at("RestartReason").as_string(), "Policy allows no restarts");

  EXPECT_EQ(plain_log(id), "hi\n");
  const HttpResult framed = client_.get("/v1/client/fs/logs/" + id + "?task=t&type=stdout");
  EXPECT_EQ(framed.header("content-type"), "application/json");
  std::vector<json::object> frames;
  EXPECT_EQ(decode_frames(framed.body, &frames), "hi\n");
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].at("File").as_string(), "alloc/logs/t.stdout.0");
  EXPECT_EQ(frames[0].at("Offset").to_number<int>(), 3);

  const json::object job = client_.get("/v1/job/fail3").json().as_object();
  EXPECT_EQ(job.at("Status").as_string(), "dead");  // a finished batch job is dead, failed or not
  const json::object summary = client_.get("/v1/job/fail3/summary").json().as_object();
  EXPECT_EQ(summary.at("Summary").at("g").at("Failed").to_number<int>(), 1);
}

TEST_F(Tasks, Checklist07_SuccessfulBatchTaskCompletes) {
  register_job(client_, batch_job("ok", {"/bin/true"}));
  const std::string id = wait_first_alloc(client_, "ok");
  const json::object alloc = wait_alloc(client_, id, alloc_terminal);
  EXPECT_EQ(alloc.at("ClientStatus").as_string(), "complete");
  EXPECT_EQ(alloc.at("TaskStates").at("t").at("Failed").as_bool(), false);
  EXPECT_EQ(event_types(alloc, "t"),
            (std::vector<std::string>{"Received", "Task Setup", "Started", "Terminated"}));
  EXPECT_EQ(alloc.at("Name").as_string(), "ok.g[0]");
  EXPECT_EQ(alloc.at("Job").at("ID").as_string(), "ok");
  EXPECT_EQ(client_.get("/v1/job/ok").json().at("Status").as_string(), "dead");
  const json::array evals = client_.get("/v1/job/ok/evaluations").json().as_array();
  ASSERT_EQ(evals.size(), 1u);
  EXPECT_EQ(evals[0].at("Status").as_string(), "complete");
  EXPECT_EQ(evals[0].at("TriggeredBy").as_string(), "job-register");
  EXPECT_EQ(client_.get("/v1/evaluation/" + std::string(evals[0].at("ID").as_string())).status, 200u);
}

TEST_F(Tasks, Checklist07_RunningJobAndPendingToRunning) {
  register_job(client_, batch_job("runs", {"/bin/sh", "-c", "sleep 30"}));
  const std::string id = wait_first_alloc(client_, "runs");
  const json::object alloc = wait_alloc(
      client_, id, [](const json::object& a) { return a.at("ClientStatus").as_string() == "running"; });
  EXPECT_EQ(alloc.at("TaskStates").at("t").at("State").as_string(), "running");
  EXPECT_EQ(client_.get("/v1/job/runs").json().at("Status").as_string(), "running");
}

TEST_F(Tasks, Checklist07_RestartPolicyAttemptsThenNotRestarting) {
  auto body = batch_job("restarts", {"/bin/sh", "-c", "echo run; exit 1"});
  body["Job"].as_object()["TaskGroups"].as_array()[0].as_object()["RestartPolicy"] =
      json::object{{"Attempts", 1}, {"Mode", "fail"}, {"Delay", 100'000'000}, {"Interval", 60'000'000'000}};
  register_job(client_, body);
  const std::string id = wait_first_alloc(client_, "restarts");
  const json::object alloc = wait_alloc(client_, id, alloc_terminal);
  EXPECT_EQ(alloc.at("ClientStatus").as_string(), "failed");
  EXPECT_EQ(alloc.at("TaskStates").at("t").at("Restarts").to_number<int>(), 1);
  EXPECT_EQ(find_event(alloc, "t", "Restarting").at("RestartReason").as_string(), "Restart within policy");
  EXPECT_EQ(find_event(alloc, "t", "Not Restarting").at("RestartReason").as_string(),
            "Exceeded allowed attempts 1 in interval 1m0s and mode is \"fail\"");
  EXPECT_EQ(plain_log(id), "run\nrun\n");
}

TEST_F(Tasks, StopSendsKillSignalThenSigkillAfterKillTimeout) {
  auto body = batch_job("stubborn", {"/bin/sh", "-c", "trap '' INT; echo ready; sleep 60"});
  first_task(body)["KillTimeout"] = 1'000'000'000;
  register_job(client_, body);
  const std::string id = wait_first_alloc(client_, "stubborn");
  wait_alloc(client_, id,
             [](const json::object& a) { return a.at("ClientStatus").as_string() == "running"; });
  const HttpResult stop = client_.del("/v1/job/stubborn");
  ASSERT_EQ(stop.status, 200u);
  EXPECT_FALSE(stop.json().at("EvalID").as_string().empty());
  const json::object alloc = wait_alloc(client_, id, alloc_terminal);
  EXPECT_EQ(alloc.at("DesiredStatus").as_string(), "stop");
  EXPECT_EQ(alloc.at("ClientStatus").as_string(), "complete");
  EXPECT_EQ(event_types(alloc, "t"), (std::vector<std::string>{"Received", "Task Setup", "Started", "Killing",
                                                               "Terminated", "Killed"}));
  const json::object killing = find_event(alloc, "t", "Killing");
  EXPECT_EQ(killing.at("KillTimeout").to_number<std::int64_t>(), 1'000'000'000);
  const json::object terminated = find_event(alloc, "t", "Terminated");
  EXPECT_EQ(terminated.at("Signal").to_number<int>(), 9);
  const auto waited =
      terminated.at("Time").to_number<std::int64_t>() - killing.at("Time").to_number<std::int64_t>();
  EXPECT_GE(waited, 900'000'000);
  EXPECT_LT(waited, 3'000'000'000);
  const json::object job = client_.get("/v1/job/stubborn").json().as_object();
  EXPECT_EQ(job.at("Stop").as_bool(), true);
  EXPECT_EQ(job.at("Status").as_string(), "dead");
}

TEST_F(Tasks, KillSignalIsHonoured) {
  auto body = batch_job(
      "graceful", {"/bin/sh", "-c", "trap 'echo got-term; exit 0' TERM; while true; do sleep 0.1; done"});
  first_task(body)["KillSignal"] = "SIGTERM";
  register_job(client_, body);
  const std::string id = wait_first_alloc(client_, "graceful");
  wait_alloc(client_, id,
             [](const json::object& a) { return a.at("ClientStatus").as_string() == "running"; });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  client_.del("/v1/job/graceful?purge=true");
  const json::object alloc = wait_alloc(client_, id, alloc_terminal);
  EXPECT_EQ(find_event(alloc, "t", "Terminated").at("ExitCode").to_number<int>(), 0);
  EXPECT_EQ(plain_log(id), "got-term\n");
  EXPECT_EQ(client_.get("/v1/job/graceful").status, 404u);                         // purged
  EXPECT_EQ(client_.del("/v1/job/graceful").json().at("EvalID").as_string(), "");  // deleting nothing is 200
}

TEST(TasksEnv, TaskEnvironmentTemplatesAndVaultSecrets) {
  SimProcess scratch;
  const auto secrets = scratch.work_dir() / "secrets.json";
  std::ofstream(secrets) << R"({"kv/data/registry":{"data":{"password":"hunter2","npm-token":"t0k"}}})";
  SimProcess sim({"--vault-secrets", secrets.string()});
  const SimClient client(sim.address());
  ASSERT_EQ(client.put("/v1/var/nomad/jobs/envjob", R"({"Items":{"k":"from-var"}})").status, 200u);
  auto body = batch_job(
      "envjob", {"/bin/sh", "-c", "env | sort; cat local/a.txt secrets/b.txt secrets/c.txt secrets/d.txt"});
  body["Job"].as_object()["Meta"] = json::object{{"owner", "me"}};
  json::object& task = first_task(body);
  task["Env"] = json::object{{"FOO", "bar-${NOMAD_JOB_ID}"}};
  task["Templates"] = json::array{
      json::object{{"EmbeddedTmpl", "a={{ env \"FOO\" }}\n"}, {"DestPath", "local/a.txt"}},
      json::object{{"EmbeddedTmpl", "{{ with nomadVar \"nomad/jobs/envjob\" }}b={{ .k }}{{ end }}\n"},
                   {"DestPath", "secrets/b.txt"}},
      json::object{
          {"EmbeddedTmpl", "{{ with secret \"kv/data/registry\" }}c={{ .Data.data.password }}{{ end }}\n"},
          {"DestPath", "secrets/c.txt"}},
      // A key no dotted path can name (build secrets' fields), read with `index`.
      json::object{
          {"EmbeddedTmpl",
           "{{ with secret \"kv/data/registry\" }}d={{ index .Data.data \"npm-token\" }}{{ end }}\n"},
          {"DestPath", "secrets/d.txt"}},
  };
  register_job(client, body);
  const std::string id = wait_first_alloc(client, "envjob");
  const json::object alloc = wait_alloc(client, id, alloc_terminal);
  EXPECT_EQ(alloc.at("ClientStatus").as_string(), "complete") << json::serialize(alloc.at("TaskStates"));
  const std::string out = client.get("/v1/client/fs/logs/" + id + "?task=t&type=stdout&plain=true").body;
  const std::string root = (sim.data_dir() / "allocs" / id).string();
  for (const std::string& line : std::vector<std::string>{
           "NOMAD_ALLOC_DIR=" + root + "/alloc", "NOMAD_TASK_DIR=" + root + "/t/local",
           "NOMAD_SECRETS_DIR=" + root + "/t/secrets", "NOMAD_JOB_ID=envjob", "NOMAD_JOB_NAME=envjob",
           "NOMAD_ALLOC_ID=" + id, "NOMAD_GROUP_NAME=g", "NOMAD_TASK_NAME=t", "NOMAD_NAMESPACE=default",
           "NOMAD_REGION=global", "NOMAD_DC=dc1", "NOMAD_META_owner=me", "FOO=bar-envjob", "a=bar-envjob",
           "b=from-var", "c=hunter2", "d=t0k"}) {
    EXPECT_NE(out.find(line + "\n"), std::string::npos) << "missing " << line << " in:\n" << out;
  }
}

TEST(TasksVolumes, HostVolumeIsMappedToItsLocalDirectory) {
  SimProcess scratch;
  const auto host_dir = scratch.work_dir() / "cache";
  std::filesystem::create_directories(host_dir);
  SimProcess sim({"--host-volume", "cache=" + host_dir.string()});
  const SimClient client(sim.address());
  auto body = batch_job("vol", {"/bin/sh", "-c", "echo stored > cache/file"});
  json::object& group = body["Job"].as_object()["TaskGroups"].as_array()[0].as_object();
  group["Volumes"] =
      json::object{{"cache", json::object{{"Name", "cache"}, {"Type", "host"}, {"Source", "cache"}}}};
  first_task(body)["VolumeMounts"] =
      json::array{json::object{{"Volume", "cache"}, {"Destination", "/cache"}}};
  register_job(client, body);
  const std::string id = wait_first_alloc(client, "vol");
  EXPECT_EQ(wait_alloc(client, id, alloc_terminal).at("ClientStatus").as_string(), "complete");
  std::ifstream in(host_dir / "file");
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "stored");
}

TEST_F(Tasks, TaskUserIsHonouredWhenRoot) {
  ASSERT_EQ(::geteuid(), 0u)
      << "this test needs root: the simulator only switches users when it runs as root";
  auto body = batch_job("user", {"/bin/sh", "-c", "id -u; echo x > $NOMAD_TASK_DIR/w"});
  first_task(body)["User"] = "nobody";
  register_job(client_, body);
  const std::string id = wait_first_alloc(client_, "user");
  EXPECT_EQ(wait_alloc(client_, id, alloc_terminal).at("ClientStatus").as_string(), "complete");
  EXPECT_EQ(plain_log(id), "65534\n");
}

TEST_F(Tasks, PlacementFailuresGiveBlockedEvalWithFailedTGAllocs) {
  auto body = batch_job("nodrv", {"/bin/true"});
  first_task(body)["Driver"] = "qemu";
  const json::object reg = register_job(client_, body);
  const json::object eval =
      client_.get("/v1/evaluation/" + std::string(reg.at("EvalID").as_string())).json().as_object();
  EXPECT_EQ(eval.at("Status").as_string(), "complete");
  EXPECT_EQ(eval.at("FailedTGAllocs").at("g").at("ConstraintFiltered").at("missing drivers").to_number<int>(),
            1);
  const std::string blocked_id(eval.at("BlockedEval").as_string());
  ASSERT_FALSE(blocked_id.empty());
  EXPECT_EQ(client_.get("/v1/evaluation/" + blocked_id).json().at("Status").as_string(), "blocked");
  EXPECT_EQ(client_.get("/v1/job/nodrv/allocations").body, "[]");
  EXPECT_EQ(client_.get("/v1/job/nodrv").json().at("Status").as_string(), "pending");
  EXPECT_EQ(client_.get("/v1/job/nodrv/summary").json().at("Summary").at("g").at("Queued").to_number<int>(),
            1);

  auto vol = batch_job("novol", {"/bin/true"});
  vol["Job"].as_object()["TaskGroups"].as_array()[0].as_object()["Volumes"] =
      json::object{{"data", json::object{{"Type", "host"}, {"Source", "absent"}}}};
  const json::object reg2 = register_job(client_, vol);
  const json::object eval2 =
      client_.get("/v1/evaluation/" + std::string(reg2.at("EvalID").as_string())).json().as_object();
  EXPECT_TRUE(eval2.at("FailedTGAllocs")
                  .at("g")
                  .at("ConstraintFiltered")
                  .as_object()
                  .contains("missing compatible host volumes"));
}

TEST_F(Tasks, MissingCommandIsFailedValidation) {
  auto body = batch_job("nocmd", {"/bin/true"});
  first_task(body)["Config"] = json::object{};
  register_job(client_, body);
  const std::string id = wait_first_alloc(client_, "nocmd");
  const json::object alloc = wait_alloc(client_, id, alloc_terminal);
  EXPECT_EQ(alloc.at("ClientStatus").as_string(), "failed");
  EXPECT_EQ(event_types(alloc, "t"),
            (std::vector<std::string>{"Received", "Task Setup", "Failed Validation", "Not Restarting"}));
}

}  // namespace
}  // namespace nbs::nomad_sim::test
