// Starts tests/nomad_sim (path from the NOMAD_SIM compile definition) on a free loopback port with a
// fresh data directory, and stops it. Our own small launcher: the client's tests share no code with
// the simulator, as Nomad's api/ tests fork a real agent.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include <gtest/gtest.h>

#include "common/http_client.hpp"
#include "jobs/nomad/client.hpp"
#include "jobs/nomad/jobs.hpp"

namespace nbs::jobs::nomad::testing {

class SimServer {
 public:
  // Null with `why` set when the simulator did not come up within 15 s.
  static std::unique_ptr<SimServer> start(const std::vector<std::string>& extra_args, std::string& why);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  std::string address() const { return scheme_ + "://" + host_port_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  SimServer() = default;
  pid_t pid_ = -1;
  std::filesystem::path dir_;
  std::string host_port_;
  std::string scheme_ = "http";
};

// A test against a fresh simulator, with a client for it and a few ways to use it.
class NomadSimTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(const std::vector<std::string>& args) {
    std::string why;
    sim_ = SimServer::start(args, why);
    ASSERT_TRUE(sim_) << why;  // a test that cannot run fails loudly
  }

  Client client(Config config = {}) {
    config.address = sim_->address();
    auto c = Client::connect(std::move(config));
    EXPECT_TRUE(c) << c.error().message;
    return std::move(*c);
  }

  Status post_fault(const std::string& body) {
    auto http = BlockingHttpClient::create();
    auto r = (*http)->request({.method = "POST", .url = sim_->address() + "/sim/faults", .body = body});
    if (!r) {
      return r.error();
    }
    if (r->status != 200) {
      return make_error(ErrorKind::internal, "faults: " + r->body);
    }
    return {};
  }

  static Job raw_exec_job(const std::string& id, const std::string& command, std::vector<std::string> args) {
    Job job{.id = id};
    TaskGroup g{.name = "g"};
    g.restart_policy = RestartPolicy{
        .attempts = 0, .interval = std::chrono::hours(24), .delay = std::chrono::seconds(15), .mode = "fail"};
    g.reschedule_policy = ReschedulePolicy{.attempts = 0, .delay = std::chrono::seconds(5)};
    Task t{.name = "t", .driver = "raw_exec"};
    t.config = {{"command", command}, {"args", boost::json::array(args.begin(), args.end())}};
    g.tasks.push_back(std::move(t));
    job.task_groups.push_back(std::move(g));
    return job;
  }

  // Blocks on the job's allocations until one is terminal.
  static Allocation wait_for_terminal(Client& c, const std::string& job_id,
                                      std::chrono::seconds limit = std::chrono::seconds(60)) {
    Jobs jobs(c);
    std::uint64_t index = 0;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto allocs = jobs.allocations(job_id, {.index = index, .wait = std::chrono::seconds(5)});
      if (!allocs) {
        ADD_FAILURE() << allocs.error().message;
        return {};
      }
      for (const auto& a : allocs->value) {
        if (a.client_status == "complete" || a.client_status == "failed" || a.client_status == "lost") {
          return a;
        }
      }
      index = allocs->meta.last_index;
    }
    ADD_FAILURE() << "job " << job_id << " did not finish";
    return {};
  }

  std::unique_ptr<SimServer> sim_;
};

}  // namespace nbs::jobs::nomad::testing
