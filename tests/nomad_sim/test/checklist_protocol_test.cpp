// Checklist points 1–6 and 11 of ref/nomad-api.md §6 (headers, blocking, errors, methods, wire types,
// defaults, job ids with '/'), plus EnforceIndex, ACL tokens and TLS.
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "tests/nomad_sim/test/sim_client.hpp"
#include "tests/nomad_sim/test/sim_process.hpp"
#include "tests/nomad_sim/test/test_util.hpp"

namespace nbs::nomad_sim::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class Protocol : public ::testing::Test {
 protected:
  SimProcess sim_;
  SimClient client_{sim_.address()};
};

TEST_F(Protocol, Checklist01_IndexHeadersOnEveryQueryAndWrite) {
  const HttpResult list = client_.get("/v1/jobs");
  ASSERT_EQ(list.status, 200u);
  EXPECT_EQ(list.body, "[]");
  EXPECT_FALSE(list.header("x-nomad-index").empty());
  EXPECT_EQ(list.header("x-nomad-knownleader"), "true");
  EXPECT_EQ(list.header("x-nomad-lastcontact"), "0");
  const std::uint64_t before = std::stoull(list.header("x-nomad-index"));

  const HttpResult reg = client_.put("/v1/jobs", json::serialize(batch_job("idx", {"/bin/true"})));
  ASSERT_EQ(reg.status, 200u) << reg.body;
  const std::uint64_t write_index = std::stoull(reg.header("x-nomad-index"));
  EXPECT_GT(write_index, before);
  EXPECT_EQ(reg.json().at("Index").to_number<std::uint64_t>(), write_index);

  const HttpResult missing = client_.get("/v1/job/nope");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_FALSE(missing.header("x-nomad-index").empty());
  EXPECT_EQ(missing.header("x-nomad-knownleader"), "true");
  const HttpResult job = client_.get("/v1/job/idx");
  EXPECT_GE(std::stoull(job.header("x-nomad-index")), write_index);
  EXPECT_EQ(job.header("x-nomad-index"),
            std::to_string(job.json().at("ModifyIndex").to_number<std::uint64_t>()));
}

TEST_F(Protocol, Checklist02_BlockingQueryWakesOnChangeAndOtherwiseWaits) {
  const HttpResult first = client_.get("/v1/jobs");
  const std::string index = first.header("x-nomad-index");

  // Nothing changes: the query waits for `wait` (plus at most wait/16 jitter) and returns the same index.
  auto start = Clock::now();
  const HttpResult idle = client_.get("/v1/jobs?index=" + index + "&wait=1s");
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  EXPECT_EQ(idle.status, 200u);
  EXPECT_EQ(idle.header("x-nomad-index"), index);
  EXPECT_GE(took.count(), 990);
  EXPECT_LT(took.count(), 1400);

  // A change during the wait answers within 100 ms of it.
  auto blocked = std::async(std::launch::async, [&] {
    const HttpResult r = client_.get("/v1/jobs?index=" + index + "&wait=10s");
    return std::make_pair(r, Clock::now());
  });
  std::this_thread::sleep_for(milliseconds(300));
  const auto changed_at = Clock::now();
  register_job(client_, batch_job("wake", {"/bin/true"}));
  const auto [woken, woke_at] = blocked.get();
  EXPECT_EQ(woken.status, 200u);
  EXPECT_GT(std::stoull(woken.header("x-nomad-index")), std::stoull(index));
  EXPECT_LT(std::chrono::duration_cast<milliseconds>(woke_at - changed_at).count(), 100);
  EXPECT_EQ(woken.json().as_array().size(), 1u);

  EXPECT_EQ(client_.get("/v1/jobs?index=abc").body, "Invalid index");
  EXPECT_EQ(client_.get("/v1/jobs?index=1&wait=soon").body, "Invalid wait time");
  EXPECT_EQ(client_.get("/v1/jobs?index=1&wait=soon").status, 400u);
}

TEST_F(Protocol, Checklist03_ErrorsArePlainTextWithNomadCodesAndTexts) {
  const HttpResult missing = client_.get("/v1/job/nope");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.body, "job not found");
  EXPECT_EQ(missing.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(client_.get("/v1/allocation/5e1c0f4e-0000-4000-8000-000000000000").body, "alloc not found");
  EXPECT_EQ(client_.get("/v1/evaluation/5e1c0f4e-0000-4000-8000-000000000000").body, "eval not found");
  EXPECT_EQ(client_.get("/v1/var/nope").body, "variable not found");

  const HttpResult empty = client_.put("/v1/jobs", "");
  EXPECT_EQ(empty.status, 400u);
  EXPECT_EQ(empty.body, "Request body is empty");
  EXPECT_EQ(client_.put("/v1/jobs", "{}").body, "Job must be specified");
  EXPECT_EQ(client_.put("/v1/jobs", R"({"Job":{"Name":"x"}})").body, "Job ID hasn't been provided");
  EXPECT_EQ(client_.put("/v1/job/other", json::serialize(batch_job("x", {"/bin/true"}))).body,
            "Job ID does not match name");

  const HttpResult invalid = client_.put("/v1/jobs", R"({"Job":{"ID":"x"}})");
  EXPECT_EQ(invalid.status, 500u);
  EXPECT_EQ(invalid.body, "1 error occurred:\n\t* Missing job task groups\n\n");
  EXPECT_EQ(invalid.header("content-type"), "text/plain; charset=utf-8");
  const HttpResult nested = client_.put(
      "/v1/jobs", R"({"Job":{"ID":"x","Priority":200,"TaskGroups":[{"Name":"g","Tasks":[{"Name":"t"}]}]}})");
  EXPECT_EQ(nested.status, 500u);
  EXPECT_EQ(
      nested.body,
      "2 errors occurred:\n\t* Job priority must be between [1, 100]\n\t* Task group g validation failed: 1 "
      "error "
      "occurred:\n\t* Task t validation failed: 1 error occurred:\n\t* Missing task driver\n\n\n\n\n\n");
  const HttpResult ns =
      client_.put("/v1/jobs?namespace=ghost", json::serialize(batch_job("x", {"/bin/true"})));
  EXPECT_EQ(ns.status, 500u);
  EXPECT_EQ(ns.body, "job \"x\" is in nonexistent namespace \"ghost\"");
}

TEST_F(Protocol, Checklist04_PutAndPostWriteOtherMethodsAre405AndUnknownFieldsIgnored) {
  const HttpResult post = client_.request("POST", "/v1/jobs", json::serialize(batch_job("p", {"/bin/true"})));
  EXPECT_EQ(post.status, 200u) << post.body;
  auto body = batch_job("q", {"/bin/true"});
  body["Job"].as_object()["NoSuchField"] = 42;
  body["AlsoUnknown"] = "x";
  EXPECT_EQ(client_.put("/v1/job/q", json::serialize(body)).status, 200u);
  // Go's decoder matches keys case-insensitively.
  const HttpResult lower = client_.put(
      "/v1/jobs",
      R"({"job":{"id":"lower","type":"batch","taskgroups":[{"name":"g","tasks":[{"name":"t","driver":"raw_exec","config":{"command":"/bin/true"}}]}]}})");
  EXPECT_EQ(lower.status, 200u) << lower.body;
  EXPECT_EQ(client_.get("/v1/job/lower").json().at("Type").as_string(), "batch");

  const HttpResult patch = client_.request("PATCH", "/v1/jobs", "{}");
  EXPECT_EQ(patch.status, 405u);
  EXPECT_EQ(patch.body, "Invalid method");
  EXPECT_EQ(client_.request("DELETE", "/v1/jobs").status, 405u);
  EXPECT_EQ(client_.get("/v1/no/such/endpoint").status, 404u);
  EXPECT_EQ(client_.get("/v1/no/such/endpoint").body, "");
}

TEST_F(Protocol, Checklist05_WireTypesNanosecondsRfc3339AndNulls) {
  auto body = batch_job("wire", {"/bin/true"});
  register_job(client_, body);
  const json::object job = client_.get("/v1/job/wire").json().as_object();
  const json::object& task = job.at("TaskGroups").at(0).at("Tasks").at(0).as_object();
  EXPECT_EQ(task.at("KillTimeout").to_number<std::int64_t>(), 2'000'000'000);
  EXPECT_TRUE(job.at("Constraints").is_null());
  EXPECT_TRUE(job.at("Meta").is_null());
  EXPECT_GT(job.at("SubmitTime").to_number<std::int64_t>(), 1'700'000'000'000'000'000);

  const std::string alloc_id = wait_first_alloc(client_, "wire");
  const json::object alloc = wait_alloc(client_, alloc_id, alloc_terminal);
  const json::object& state = alloc.at("TaskStates").at("t").as_object();
  const std::string started(state.at("StartedAt").as_string());
  EXPECT_EQ(started.size() >= 20 && started[4] == '-' && started[10] == 'T' && started.back() == 'Z', true)
      << started;
  EXPECT_EQ(state.at("LastRestart").as_string(), "0001-01-01T00:00:00Z");
  EXPECT_GT(find_event(alloc, "t", "Started").at("Time").to_number<std::int64_t>(),
            1'700'000'000'000'000'000);
  EXPECT_TRUE(alloc.at("RescheduleTracker").is_null());
}

TEST_F(Protocol, Checklist06_RegisterAppliesNomadDefaults) {
  register_job(
      client_,
      json::parse(
          R"({"Job":{"ID":"svc","TaskGroups":[{"Name":"g","Tasks":[{"Name":"t","Driver":"raw_exec","Config":{"command":"/bin/true"}}]}]}})")
          .as_object());
  const json::object svc = client_.get("/v1/job/svc").json().as_object();
  EXPECT_EQ(svc.at("Type").as_string(), "service");
  EXPECT_EQ(svc.at("Priority").to_number<int>(), 50);
  EXPECT_EQ(svc.at("Namespace").as_string(), "default");
  EXPECT_EQ(svc.at("Region").as_string(), "global");
  EXPECT_EQ(svc.at("Name").as_string(), "svc");
  EXPECT_EQ(svc.at("NodePool").as_string(), "default");
  EXPECT_EQ(json::serialize(svc.at("Datacenters")), R"(["*"])");
  const json::object& group = svc.at("TaskGroups").at(0).as_object();
  EXPECT_EQ(group.at("Count").to_number<int>(), 1);
  EXPECT_EQ(group.at("RestartPolicy").at("Attempts").to_number<int>(), 2);
  EXPECT_EQ(group.at("ReschedulePolicy").at("DelayFunction").as_string(), "exponential");
  EXPECT_EQ(group.at("EphemeralDisk").at("SizeMB").to_number<int>(), 300);
  const json::object& task = group.at("Tasks").at(0).as_object();
  EXPECT_EQ(task.at("Resources").at("CPU").to_number<int>(), 100);
  EXPECT_EQ(task.at("Resources").at("MemoryMB").to_number<int>(), 300);
  EXPECT_EQ(task.at("KillTimeout").to_number<std::int64_t>(), 5'000'000'000);
  EXPECT_EQ(task.at("LogConfig").at("MaxFiles").to_number<int>(), 10);
  EXPECT_EQ(task.at("LogConfig").at("MaxFileSizeMB").to_number<int>(), 10);

  register_job(
      client_,
      json::parse(
          R"({"Job":{"ID":"b","Type":"batch","TaskGroups":[{"Name":"g","Tasks":[{"Name":"t","Driver":"raw_exec","Config":{"command":"/bin/true"}}]}]}})")
          .as_object());
  const json::value b = client_.get("/v1/job/b").json();
  const json::object& bg = b.at("TaskGroups").at(0).as_object();
  EXPECT_EQ(bg.at("RestartPolicy").at("Attempts").to_number<int>(), 3);
  EXPECT_EQ(bg.at("RestartPolicy").at("Interval").to_number<std::int64_t>(), 86'400'000'000'000);
  EXPECT_EQ(bg.at("ReschedulePolicy").at("Attempts").to_number<int>(), 1);
  EXPECT_EQ(bg.at("ReschedulePolicy").at("DelayFunction").as_string(), "constant");
}

TEST_F(Protocol, Checklist11_JobIdsWithSlashRawOrEscaped) {
  register_job(client_, batch_job("parent/dispatch-1730920906-81821d1f", {"/bin/true"}));
  const HttpResult escaped = client_.get("/v1/job/parent%2Fdispatch-1730920906-81821d1f");
  ASSERT_EQ(escaped.status, 200u) << escaped.body;
  EXPECT_EQ(escaped.json().at("ID").as_string(), "parent/dispatch-1730920906-81821d1f");
  EXPECT_EQ(client_.get("/v1/job/parent/dispatch-1730920906-81821d1f").status, 200u);
  const HttpResult allocs = client_.get("/v1/job/parent%2Fdispatch-1730920906-81821d1f/allocations");
  ASSERT_EQ(allocs.status, 200u);
  EXPECT_EQ(allocs.json().as_array().size(), 1u);
  const HttpResult children = client_.get("/v1/jobs?prefix=parent/");
  EXPECT_EQ(children.json().as_array().size(), 1u);
  EXPECT_EQ(client_.get("/v1/jobs?prefix=other").json().as_array().size(), 0u);
}

TEST_F(Protocol, Checklist10_DispatchParameterizedJob) {
  auto body = batch_job("param", {"/bin/sh", "-c", "cat local/input; echo \" $NOMAD_META_build\""});
  body["Job"].as_object()["ParameterizedJob"] = json::object{
      {"Payload", "required"}, {"MetaRequired", json::array{"build"}}, {"MetaOptional", json::array{"x"}}};
  first_task(body)["DispatchPayload"] = json::object{{"File", "input"}};
  const json::object reg = register_job(client_, body);
  EXPECT_EQ(reg.at("EvalID").as_string(), "");  // parameterized parents get no evaluation
  EXPECT_EQ(client_.get("/v1/job/param").json().at("Status").as_string(), "running");
  EXPECT_EQ(client_.get("/v1/job/param/allocations").body, "[]");

  const std::string payload = R"({"Payload":"cGF5bG9hZC1kYXRh")";  // base64("payload-data")
  EXPECT_EQ(client_.put("/v1/job/param/dispatch", R"({"Meta":{"build":"7"}})").body,
            "Payload is not provided but required by parameterized job");
  EXPECT_EQ(client_.put("/v1/job/param/dispatch", payload + "}").body,
            "Dispatch did not provide required meta keys: [build]");
  EXPECT_EQ(client_.put("/v1/job/param/dispatch", payload + R"(,"Meta":{"build":"7","nope":"1"}})").body,
            "Dispatch request included unpermitted metadata keys: [nope]");
  const HttpResult missing = client_.put("/v1/job/ghost/dispatch", "{}");
  EXPECT_EQ(missing.status, 500u);
  EXPECT_EQ(missing.body, "parameterized job not found");
  register_job(client_, batch_job("plain", {"/bin/true"}));
  EXPECT_EQ(client_.put("/v1/job/plain/dispatch", "{}").body,
            "Specified job \"plain\" is not a parameterized job");

  const std::string ok_body = payload + R"(,"Meta":{"build":"7"}})";
  const HttpResult dispatched = client_.put("/v1/job/param/dispatch?idempotency_token=tok-1", ok_body);
  ASSERT_EQ(dispatched.status, 200u) << dispatched.body;
  const std::string child(dispatched.json().at("DispatchedJobID").as_string());
  EXPECT_EQ(child.rfind("param/dispatch-", 0), 0u) << child;
  EXPECT_EQ(child.size(), std::string("param/dispatch-1730920906-81821d1f").size()) << child;
  EXPECT_FALSE(dispatched.json().at("EvalID").as_string().empty());
  const json::object job = client_.get("/v1/job/" + path_escape(child)).json().as_object();
  EXPECT_EQ(job.at("ParentID").as_string(), "param");
  EXPECT_EQ(job.at("Dispatched").as_bool(), true);
  EXPECT_EQ(job.at("Payload").as_string(), "cGF5bG9hZC1kYXRh");
  EXPECT_EQ(job.at("Meta").at("build").as_string(), "7");
  const std::string alloc = wait_first_alloc(client_, child);
  EXPECT_EQ(wait_alloc(client_, alloc, alloc_terminal).at("ClientStatus").as_string(), "complete");
  EXPECT_EQ(client_.get("/v1/client/fs/logs/" + alloc + "?task=t&type=stdout&plain=true").body,
            "payload-data 7\n");

  const HttpResult again = client_.put("/v1/job/param/dispatch?idempotency_token=tok-1", ok_body);
  EXPECT_EQ(again.json().at("DispatchedJobID").as_string(), child);
  EXPECT_EQ(again.json().at("EvalID").as_string(), "");
  EXPECT_EQ(client_.get("/v1/jobs?prefix=param/").json().as_array().size(), 1u);
}

TEST_F(Protocol, EnforceIndexRegisteringTwiceCreatesOnce) {
  auto body = batch_job("once", {"/bin/true"});
  body["EnforceIndex"] = true;
  body["JobModifyIndex"] = 0;
  const HttpResult first = client_.put("/v1/jobs", json::serialize(body));
  ASSERT_EQ(first.status, 200u) << first.body;
  const std::uint64_t jmi = first.json().at("JobModifyIndex").to_number<std::uint64_t>();
  const HttpResult second = client_.put("/v1/jobs", json::serialize(body));
  EXPECT_EQ(second.status, 500u);
  EXPECT_EQ(second.body, "Enforcing job modify index 0: job already exists");
  body["JobModifyIndex"] = jmi + 100;
  EXPECT_EQ(client_.put("/v1/jobs", json::serialize(body)).body,
            "Enforcing job modify index " + std::to_string(jmi + 100) +
                ": job exists with conflicting job modify index: " + std::to_string(jmi));
  auto fresh = batch_job("fresh", {"/bin/true"});
  fresh["EnforceIndex"] = true;
  fresh["JobModifyIndex"] = 5;
  EXPECT_EQ(client_.put("/v1/jobs", json::serialize(fresh)).body,
            "Enforcing job modify index 5: job does not exist");

  ASSERT_FALSE(wait_first_alloc(client_, "once").empty());
  EXPECT_EQ(client_.get("/v1/job/once/allocations").json().as_array().size(), 1u);
  EXPECT_EQ(client_.get("/v1/job/once/evaluations").json().as_array().size(), 1u);
  EXPECT_EQ(client_.get("/v1/job/once").json().at("Version").to_number<int>(), 0);

  // With the right index the update goes through and makes a new version.
  body["JobModifyIndex"] = jmi;
  first_task(body)["Env"] = json::object{{"X", "1"}};
  const HttpResult update = client_.put("/v1/jobs", json::serialize(body));
  EXPECT_EQ(update.status, 200u) << update.body;
  EXPECT_EQ(client_.get("/v1/job/once").json().at("Version").to_number<int>(), 1);
}

TEST_F(Protocol, UnchangedReRegisterKeepsJobModifyIndexButCreatesEval) {
  const auto body = batch_job("same", {"/bin/true"});
  const json::object a = register_job(client_, body);
  const json::object b = register_job(client_, body);
  EXPECT_EQ(a.at("JobModifyIndex"), b.at("JobModifyIndex"));
  EXPECT_NE(a.at("EvalID"), b.at("EvalID"));
}

TEST(ProtocolAcl, AclTokenRequiredElse403PermissionDenied) {
  SimProcess sim({"--acl-token", "s3cret"});
  const SimClient anonymous(sim.address());
  const HttpResult denied = anonymous.get("/v1/jobs");
  EXPECT_EQ(denied.status, 403u);
  EXPECT_EQ(denied.body, "Permission denied");
  EXPECT_EQ(SimClient(sim.address(), "wrong").get("/v1/jobs").status, 403u);
  EXPECT_EQ(SimClient(sim.address(), "s3cret").get("/v1/jobs").status, 200u);
  const HttpResult bearer = anonymous.request("GET", "/v1/jobs", "", {{"Authorization", "Bearer s3cret"}});
  EXPECT_EQ(bearer.status, 200u);
  EXPECT_EQ(anonymous.get("/v1/agent/health").status, 200u);
  EXPECT_EQ(anonymous.get("/v1/status/leader").status, 200u);
}

TEST(ProtocolTls, Checklist12_TlsListener) {
  SimProcess scratch;
  const auto& dir = scratch.work_dir();
  const std::string cert = (dir / "cert.pem").string();
  const std::string key = (dir / "key.pem").string();
  ASSERT_EQ(run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
                         cert, "-days", "1", "-subj", "/CN=server.global.nomad", "-addext",
                         "subjectAltName=DNS:server.global.nomad,DNS:localhost,IP:127.0.0.1"}),
            0)
      << "openssl is needed to make a test certificate";
  SimProcess sim({"--tls-cert", cert, "--tls-key", key});
  const HttpResult r = SimClient(sim.address()).tls_get("/v1/agent/health");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.json().at("server").at("ok").as_bool(), true);
  EXPECT_EQ(SimClient(sim.address()).get("/v1/agent/health").status, 0u);  // plain HTTP is refused
}

TEST_F(Protocol, StatusLeaderHealthRegionsNamespaces) {
  EXPECT_EQ(client_.get("/v1/status/leader").body, "\"127.0.0.1:4647\"");
  EXPECT_EQ(client_.get("/v1/regions").body, "[\"global\"]");
  EXPECT_EQ(client_.get("/v1/agent/health").json().at("client").at("ok").as_bool(), true);
  EXPECT_EQ(client_.get("/v1/namespaces").json().at(0).at("Name").as_string(), "default");
  EXPECT_EQ(client_.get("/v1/namespace/ghost").body, "Namespace not found");
}

}  // namespace
}  // namespace nbs::nomad_sim::test
