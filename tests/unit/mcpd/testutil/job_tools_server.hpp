// Test support: the real job tools (BuildService on a local executor in a temporary state dir) behind an
// in-process TestServer, for tests that must see exactly what the daemon answers. No job gets to run a
// phase (the runner is /bin/true).
#pragma once

#include <filesystem>
#include <memory>

#include "mcpd/build_service.hpp"
#include "tests/unit/mcpd/testutil/test_server.hpp"

namespace nbs::mcpd::testing {

class JobToolsServer {
 public:
  // Fails the current test (and leaves server() null) when the service does not start.
  JobToolsServer();
  ~JobToolsServer();
  JobToolsServer(const JobToolsServer&) = delete;
  JobToolsServer& operator=(const JobToolsServer&) = delete;

  TestServer* server() { return server_.get(); }
  Orchestrator& orchestrator() { return service_->orchestrator(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  MetricsRegistry metrics_;
  std::unique_ptr<BuildService> service_;
  std::unique_ptr<TestServer> server_;
};

}  // namespace nbs::mcpd::testing
