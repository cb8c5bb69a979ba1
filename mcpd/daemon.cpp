#include "mcpd/daemon.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "mcpd/http/http_server.hpp"
#include "mcpd/mcp/mcp_server.hpp"
#include "mcpd/mcp/stdio_transport.hpp"

namespace nbs::mcpd {
namespace asio = boost::asio;

namespace {

std::optional<std::string> getenv_lookup(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? std::optional<std::string>(v) : std::nullopt;
}

// stdout belongs to the protocol in stdio mode; logs always go to stderr.
void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("nbs-mcpd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

void run_threads(asio::io_context& io, unsigned threads) {
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) {
    pool.emplace_back([&io] { io.run(); });
  }
  io.run();
  for (auto& t : pool) {
    t.join();
  }
}

}  // namespace

int daemon_main(int argc, const char* const* argv, const DaemonSetup& setup) {
  auto loaded = load_config(argc, argv, getenv_lookup);
  if (!loaded) {
    std::cerr << "nbs-mcpd: " << loaded.error().message << "\n";
    return 2;
  }
  if (loaded->exit_code) {
    (*loaded->exit_code == 0 ? std::cout : std::cerr) << loaded->output;
    return *loaded->exit_code;
  }
  const Config& config = loaded->config;
  setup_logging(config.log_level);

  std::optional<TokenStore> tokens;
  if (!config.token_file.empty()) {
    auto store = TokenStore::load(config.token_file);
    if (!store) {
      spdlog::error("token_file: {}", store.error().message);
      return 2;
    }
    tokens = std::move(*store);
  }

  asio::io_context io(static_cast<int>(config.threads));
  MetricsRegistry metrics;
  DaemonParts parts;
  parts.server_info.version = NBS_VERSION;
  // Declared after io, metrics and parts, so it runs before they are destroyed, on every return path.
  struct StopEmbedder {
    DaemonParts& parts;
    ~StopEmbedder() {
      if (parts.on_stopped) {
        parts.on_stopped();
      }
    }
  } stop_embedder{parts};
  if (setup) {
    if (auto status = setup(config, io, metrics, parts); !status) {
      spdlog::error("start-up: {}", status.error().describe());
      return 2;
    }
  }
  if (config.submit_rate > 0 && parts.tools.find("submitJob") != nullptr) {
    (void)parts.tools.limit("submitJob", std::make_shared<RateLimiter>(
                                             static_cast<double>(config.submit_rate), config.submit_burst));
  }
  SessionStore sessions(config.session_ttl, config.max_sessions, config.max_sessions_per_client);
  McpServer mcp(parts.tools, sessions, McpOptions{parts.server_info}, &metrics);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  if (config.stdio) {
    StdioTransport stdio(io, mcp, STDIN_FILENO, STDOUT_FILENO, config.max_body_bytes);
    signals.async_wait([&](boost::system::error_code ec, int) {
      if (!ec) {
        mcp.cancel_all("shutdown");
        if (parts.on_shutdown) {
          parts.on_shutdown();
        }
        io.stop();
      }
    });
    stdio.start([&] {
      signals.cancel();
      if (parts.on_shutdown) {
        parts.on_shutdown();
      }
    });
    io.run();
    return 0;
  }

  HttpServices services{mcp, metrics, tokens ? &*tokens : nullptr, parts.readiness};
  HttpServer server(io, http_options(config), services);
  if (auto status = server.start(); !status) {
    spdlog::error("{}", status.error().message);
    return 2;
  }
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (!ec) {
      spdlog::info("signal {}: shutting down (grace {} ms)", signal, config.shutdown_grace.count());
      server.stop();
      if (parts.on_shutdown) {
        parts.on_shutdown();
      }
    }
  });
  run_threads(io, config.threads);
  spdlog::info("nbs-mcpd stopped");
  return 0;
}

}  // namespace nbs::mcpd
