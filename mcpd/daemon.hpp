// The daemon's main loop, shared by nbs-mcpd and test binaries: load the configuration, let the
// embedder register tools (and start its own work), then serve HTTP or stdio until SIGTERM/SIGINT or
// stdin EOF, shutting down gracefully.
#pragma once

#include <functional>

#include <boost/asio/io_context.hpp>

#include "common/error.hpp"
#include "mcpd/config.hpp"
#include "mcpd/http/http_context.hpp"
#include "mcpd/mcp/mcp_results.hpp"
#include "mcpd/mcp/tool_registry.hpp"
#include "mcpd/metrics.hpp"

namespace nbs::mcpd {

// What the embedder provides.
struct DaemonParts {
  ToolRegistry tools;
  ServerInfo server_info;             // name/version are filled in; set `instructions` if useful
  ReadinessCheck readiness;           // /ready; empty: always ready
  std::function<void()> on_shutdown;  // stop the embedder's own work on the io_context
  // Called when daemon_main returns, before its io_context and MetricsRegistry go away: the embedder
  // stops its threads that use them (the build service's orchestrator and executor).
  std::function<void()> on_stopped;
};

// Called once after the configuration is loaded, before serving. The io_context is the daemon's own;
// work spawned on it runs beside the transports.
using DaemonSetup = std::function<Status(const Config& config, boost::asio::io_context& io,
                                         MetricsRegistry& metrics, DaemonParts& parts)>;

// Runs the daemon; returns the process exit code (0 after a clean shutdown, 2 for configuration errors).
int daemon_main(int argc, const char* const* argv, const DaemonSetup& setup);

}  // namespace nbs::mcpd
