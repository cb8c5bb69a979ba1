// nbs-mcpd: the Nomad Build Service daemon.
#include "mcpd/build_service.hpp"

int main(int argc, char** argv) {
  std::unique_ptr<nbs::mcpd::BuildService> service;
  return nbs::mcpd::daemon_main(argc, argv, nbs::mcpd::build_service_setup(service));
}
