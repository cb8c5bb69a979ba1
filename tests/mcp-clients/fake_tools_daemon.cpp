// nbs-mcpd-fake: the real daemon (same config, transports and protocol layer) with the fake tools of
// tests/unit/mcpd registered, for the official-SDK client tests. Test-only; never installed.
#include "mcpd/daemon.hpp"
#include "tests/unit/mcpd/testutil/fake_tools.hpp"

int main(int argc, char** argv) {
  return nbs::mcpd::daemon_main(
      argc, argv,
      [](const nbs::mcpd::Config&, boost::asio::io_context&, nbs::mcpd::MetricsRegistry&,
         nbs::mcpd::DaemonParts& parts) -> nbs::Status {
        nbs::mcpd::testing::register_fake_tools(parts.tools,
                                                std::make_shared<nbs::mcpd::testing::FakeToolState>());
        parts.server_info.instructions = "Test daemon with fake tools.";
        return {};
      });
}
