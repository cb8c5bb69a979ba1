// What every HTTP connection shares: the limits and security settings, and the services it calls.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "common/error.hpp"
#include "mcpd/http/http_auth.hpp"
#include "mcpd/mcp/mcp_server.hpp"
#include "mcpd/metrics.hpp"

namespace nbs::mcpd {

struct HttpOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;  // 0: an ephemeral port (tests)
  std::size_t max_body_bytes = std::size_t{4} * 1024 * 1024;
  std::size_t header_limit_bytes = std::size_t{16} * 1024;
  std::chrono::milliseconds header_timeout{15'000};  // idle keep-alive and reading one request header
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds heartbeat_interval{15'000};  // SSE keep-alive comments
  std::chrono::milliseconds shutdown_grace{10'000};
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_address = 64;     // IPv6: per /64; 0: no cap
  std::size_t max_connections_per_principal = 128;  // with tokens; 0: no cap
  // Connections beyond the caps that serve only /health, /ready and /metrics (2 per address).
  std::size_t reserve_connections = 16;
  std::vector<std::string> allowed_origins;  // empty: loopback origins only
  std::vector<std::string> allowed_hosts;    // empty: loopback names when bound to loopback, else any
  std::string tls_cert_file;                 // both set: serve HTTPS
  std::string tls_key_file;
};

// /ready: Ok when the daemon can do work (e.g. Nomad has a leader, or the state dir is writable).
using ReadinessCheck = std::function<boost::asio::awaitable<Status>()>;

struct HttpServices {
  McpServer& mcp;
  MetricsRegistry& metrics;
  const TokenStore* tokens = nullptr;  // null: no authentication
  ReadinessCheck readiness;            // empty: always ready
};

}  // namespace nbs::mcpd
