// The build service inside nbs-mcpd: the record store, the executor (the embedded local executor, or
// Nomad when nomad_addr is set), the orchestrator that drives jobs through them, and the job tools,
// assembled from the daemon's configuration.
#pragma once

#include <memory>

#include "jobs/executor.hpp"
#include "jobs/record_store.hpp"
#include "mcpd/config.hpp"
#include "mcpd/daemon.hpp"
#include "mcpd/metrics.hpp"
#include "mcpd/orchestrator/orchestrator.hpp"
#include "mcpd/webhooks/webhook_sender.hpp"

namespace nbs::mcpd {

class BuildService {
 public:
  // Opens the store and the executor and starts the orchestrator's watch loop. Errors name the
  // configuration key at fault (state_dir, runner_path, build_user, ...).
  static Result<std::unique_ptr<BuildService>> create(const Config& config, MetricsRegistry& metrics);
  ~BuildService();

  // Registers the seven job tools and sets /ready to the executor's readiness.
  Status attach(DaemonParts& parts);

  Orchestrator& orchestrator() { return *orchestrator_; }

 private:
  BuildService() = default;

  // Destroyed in reverse: the orchestrator stops its threads before the webhooks, executor and store go.
  std::unique_ptr<jobs::RecordStore> store_;
  std::unique_ptr<jobs::Executor> executor_;
  std::unique_ptr<WebhookSender> webhooks_;
  std::unique_ptr<Orchestrator> orchestrator_;
};

// The DaemonSetup of nbs-mcpd: creates the service into `service`, which must outlive daemon_main().
DaemonSetup build_service_setup(std::unique_ptr<BuildService>& service);

// The state directory when none is configured: /var/lib/nbs for root, else $XDG_STATE_HOME/nbs
// (~/.local/state/nbs).
std::string default_state_dir();

}  // namespace nbs::mcpd
