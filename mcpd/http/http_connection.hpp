// One HTTP/1.1 connection (plain or TLS): reads requests one at a time with keep-alive, checks each
// header before its body, answers /mcp (JSON or SSE), the REST mirror and the small routes.
#pragma once

#include <cstdint>
#include <functional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "mcpd/http/connection_limits.hpp"
#include "mcpd/http/http_context.hpp"
#include "mcpd/mcp/cancellation.hpp"

namespace nbs::mcpd {

// The handle the server keeps on a connection for shutdown. All members are used on the connection's
// strand, except `stopping`, which the server sets before posting `close_if_idle`.
struct ConnectionControl {
  enum class Phase { idle, busy, streaming };
  Phase phase = Phase::idle;
  std::atomic<bool> stopping{false};
  std::function<void()> close;                 // closes the socket; run on the strand
  std::shared_ptr<Cancellation> current_call;  // the running call, cancelled on shutdown
  std::unique_ptr<ConnectionTicket> ticket;    // its slot; given back before the socket closes
};

// Serves a plain TCP connection until the client leaves, an error, or shutdown. Runs on the socket's
// executor, which must be a strand.
boost::asio::awaitable<void> serve_plain(boost::asio::ip::tcp::socket socket,
                                         std::shared_ptr<ConnectionControl> control,
                                         const HttpOptions& options, HttpServices& services);

// The same over TLS: handshake (bounded by header_timeout), serve, then TLS shutdown.
boost::asio::awaitable<void> serve_tls(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
                                       std::shared_ptr<ConnectionControl> control, const HttpOptions& options,
                                       HttpServices& services);

}  // namespace nbs::mcpd
