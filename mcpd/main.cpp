// nbs-mcpd: the Nomad Build Service daemon. Tools are registered by the orchestrator's setup (none yet).
#include "mcpd/daemon.hpp"

int main(int argc, char** argv) {
  return nbs::mcpd::daemon_main(argc, argv, nbs::mcpd::DaemonSetup{});
}
