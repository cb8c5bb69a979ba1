// The HTTP listener: accepts connections (each on its own strand), optionally over TLS, and shuts down
// gracefully: stop accepting, cancel waits of running calls, let in-flight responses finish, and close
// whatever is left after the grace period.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/error.hpp"
#include "mcpd/http/connection_limits.hpp"
#include "mcpd/http/http_connection.hpp"
#include "mcpd/http/http_context.hpp"

namespace nbs::mcpd {

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpOptions options, HttpServices services);

  // Binds and starts accepting. Fails (unavailable) if the address cannot be bound, or
  // (invalid_argument) if the TLS files cannot be loaded or an allowed_hosts/allowed_origins entry is
  // malformed.
  Status start();

  // The bound port (useful with port 0).
  unsigned short port() const { return port_; }

  // Graceful shutdown; thread-safe, idempotent. io_context::run() returns once every connection ended.
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  void spawn_connection(boost::asio::ip::tcp::socket socket);
  void close_all(bool only_idle);

  boost::asio::io_context& io_;
  HttpOptions options_;
  HttpServices services_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;  // acceptor and grace timer
  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  boost::asio::steady_timer grace_timer_;
  ConnectionLimits limits_;
  unsigned short port_ = 0;

  std::mutex mutex_;
  bool stopping_ = false;
  std::uint64_t next_id_ = 1;
  struct Entry {
    std::weak_ptr<ConnectionControl> control;
    boost::asio::any_io_executor strand;
  };
  std::map<std::uint64_t, Entry> connections_;
};

}  // namespace nbs::mcpd
