#include "tests/unit/mcpd/testutil/job_tools_server.hpp"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace nbs::mcpd::testing {
namespace fs = std::filesystem;

JobToolsServer::JobToolsServer()
    : dir_(fs::temp_directory_path() / ("nbs-job-tools-" + std::to_string(std::random_device{}()))) {
  fs::create_directories(dir_);
  Config config;
  config.state_dir = dir_ / "state";
  config.cache_dir = dir_ / "cache";
  config.runner_path = "/bin/true";  // no job of these tests gets to run a phase
  config.task_supervisor_path = "/bin/true";
  config.build_user.clear();
  auto service = BuildService::create(config, metrics_);
  if (!service) {
    ADD_FAILURE() << service.error().describe();
    return;
  }
  service_ = std::move(*service);
  server_ = std::make_unique<TestServer>(HttpOptions{}, std::nullopt, ReadinessCheck{},
                                         [this](ToolRegistry& tools) {
                                           DaemonParts parts;
                                           ASSERT_TRUE(service_->attach(parts));
                                           for (const auto& tool : parts.tools.tools()) {
                                             ASSERT_TRUE(tools.add(tool));
                                           }
                                         });
}

JobToolsServer::~JobToolsServer() {
  server_.reset();
  service_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

}  // namespace nbs::mcpd::testing
