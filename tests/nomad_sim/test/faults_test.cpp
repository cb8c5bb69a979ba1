// The /sim/ control API: error windows, refused connections, latency, lost allocations, placement
// failures with blocked evaluations, and per-endpoint request counts.
#include <chrono>
#include <signal.h>
#include <thread>

#include <gtest/gtest.h>

#include "tests/nomad_sim/test/sim_client.hpp"
#include "tests/nomad_sim/test/sim_process.hpp"
#include "tests/nomad_sim/test/test_util.hpp"

namespace nbs::nomad_sim::test {
namespace {

using Clock = std::chrono::steady_clock;

class Faults : public ::testing::Test {
 protected:
  SimProcess sim_;
  SimClient client_{sim_.address()};

  void fault(const std::string& body) {
    ASSERT_EQ(client_.request("POST", "/sim/faults", body).status, 200u) << body;
  }
};

TEST_F(Faults, Error500WindowThenRecovery) {
  fault(R"({"error_status":500,"error_for":"1s"})");
  const HttpResult during = client_.get("/v1/jobs");
  EXPECT_EQ(during.status, 500u);
  EXPECT_EQ(during.body, "No cluster leader");
  EXPECT_EQ(during.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(client_.put("/v1/jobs", json::serialize(batch_job("x", {"/bin/true"}))).status, 500u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(client_.get("/v1/jobs").status, 200u);
  EXPECT_EQ(client_.get("/v1/jobs").body, "[]");  // the faulted write did nothing

  fault(R"({"error_status":503,"error_for":5,"error_text":"overloaded"})");
  const HttpResult unavailable = client_.get("/v1/jobs");
  EXPECT_EQ(unavailable.status, 503u);
  EXPECT_EQ(unavailable.body, "overloaded");
  EXPECT_EQ(client_.del("/sim/faults").status, 200u);
  EXPECT_EQ(client_.get("/v1/jobs").status, 200u);
}

TEST_F(Faults, RefuseConnectionsForAWhile) {
  fault(R"({"refuse_connections":"1s"})");
  const HttpResult refused = client_.get("/v1/jobs");
  EXPECT_EQ(refused.status, 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(client_.get("/v1/jobs").status, 200u);
  EXPECT_GE(client_.get("/sim/stats").json().at("refused_connections").to_number<int>(), 1);
}

TEST_F(Faults, AddedLatency) {
  fault(R"({"latency":"300ms","latency_for":"10s"})");
  const auto start = Clock::now();
  EXPECT_EQ(client_.get("/v1/jobs").status, 200u);
  EXPECT_GE(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(), 300);
}

TEST_F(Faults, LoseAllocationKillsItsProcessAndMarksItLost) {
  register_job(client_,
               batch_job("lost", {"/bin/sh", "-c", "echo $$ > $NOMAD_ALLOC_DIR/pid; exec sleep 60"}));
  const std::string id = wait_first_alloc(client_, "lost");
  wait_alloc(client_, id,
             [](const json::object& a) { return a.at("ClientStatus").as_string() == "running"; });
  std::string pid_text;
  for (int i = 0; i < 100 && pid_text.empty(); ++i) {
    pid_text = client_.get("/v1/client/fs/cat/" + id + "?path=alloc/pid").body;
    if (pid_text.empty() || pid_text.back() != '\n') {
      pid_text.clear();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  const pid_t pid = static_cast<pid_t>(std::stoi(pid_text));
  ASSERT_EQ(::kill(pid, 0), 0);
  fault(R"({"lose_alloc":")" + id + R"("})");
  const json::object alloc = client_.get("/v1/allocation/" + id).json().as_object();
  EXPECT_EQ(alloc.at("ClientStatus").as_string(), "lost");
  EXPECT_EQ(alloc.at("DesiredStatus").as_string(), "stop");
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = ::kill(pid, 0) != 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << "task process " << pid << " survived the lost node";
  bool node_update = false;
  const json::value evals = client_.get("/v1/job/lost/evaluations").json();
  for (const auto& e : evals.as_array()) {
    node_update = node_update || e.at("TriggeredBy").as_string() == "node-update";
  }
  EXPECT_TRUE(node_update);
  EXPECT_EQ(client_.get("/v1/job/lost").json().at("Status").as_string(), "dead");
  EXPECT_EQ(client_.get("/v1/job/lost/summary").json().at("Summary").at("g").at("Lost").to_number<int>(), 1);
}

TEST_F(Faults, FailPlacementGivesBlockedEvalUntilCleared) {
  fault(R"({"fail_placement":-1})");
  const json::object reg = register_job(client_, batch_job("blocked", {"/bin/true"}));
  const json::object eval =
      client_.get("/v1/evaluation/" + std::string(reg.at("EvalID").as_string())).json().as_object();
  EXPECT_EQ(eval.at("FailedTGAllocs").at("g").at("NodesExhausted").to_number<int>(), 1);
  const std::string blocked_id(eval.at("BlockedEval").as_string());
  EXPECT_EQ(client_.get("/v1/evaluation/" + blocked_id).json().at("Status").as_string(), "blocked");
  EXPECT_EQ(client_.get("/v1/job/blocked/allocations").body, "[]");
  EXPECT_EQ(client_.get("/v1/job/blocked").json().at("Status").as_string(), "pending");

  EXPECT_EQ(client_.del("/sim/faults").status, 200u);
  const std::string id = wait_first_alloc(client_, "blocked");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(client_.get("/v1/allocation/" + id).json().at("EvalID").as_string(), blocked_id);
  EXPECT_EQ(client_.get("/v1/evaluation/" + blocked_id).json().at("Status").as_string(), "complete");
  EXPECT_EQ(wait_alloc(client_, id, alloc_terminal).at("ClientStatus").as_string(), "complete");

  fault(R"({"fail_placement":1})");
  const json::object once = register_job(client_, batch_job("once-blocked", {"/bin/true"}));
  EXPECT_FALSE(client_.get("/v1/evaluation/" + std::string(once.at("EvalID").as_string()))
                   .json()
                   .at("FailedTGAllocs")
                   .is_null());
  const json::object next = register_job(client_, batch_job("placed", {"/bin/true"}));
  EXPECT_TRUE(client_.get("/v1/evaluation/" + std::string(next.at("EvalID").as_string()))
                  .json()
                  .at("FailedTGAllocs")
                  .is_null());
}

TEST_F(Faults, StatsCountRequestsPerEndpoint) {
  client_.del("/sim/stats");
  client_.get("/v1/jobs");
  client_.get("/v1/jobs?prefix=a");
  client_.get("/v1/job/a%2Fb/allocations");
  client_.put("/v1/jobs", json::serialize(batch_job("s", {"/bin/true"})));
  const json::object stats = client_.get("/sim/stats").json().as_object();
  EXPECT_EQ(stats.at("total").to_number<int>(), 4);
  const json::object& by = stats.at("requests").as_object();
  EXPECT_EQ(by.at("GET /v1/jobs").to_number<int>(), 2);
  EXPECT_EQ(by.at("GET /v1/job/:id/allocations").to_number<int>(), 1);
  EXPECT_EQ(by.at("PUT /v1/jobs").to_number<int>(), 1);
  EXPECT_EQ(client_.request("POST", "/sim/faults", R"({"bogus":1})").status, 400u);
}

}  // namespace
}  // namespace nbs::nomad_sim::test
