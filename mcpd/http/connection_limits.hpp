// How many HTTP connections each client may hold, so that no client starves the others: the pool
// (max_connections), a share of it per address (IPv6: per /64) and per principal, and a small reserve
// beyond every cap whose connections serve only /health, /ready and /metrics, so a full pool still
// answers its health checks and can be watched. Thread-safe; a ticket gives its slot back when destroyed.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>

#include "common/error.hpp"

namespace nbs::mcpd {

struct ConnectionCaps {
  std::size_t max_connections = 1024;
  std::size_t per_address = 64;     // 0: no cap
  std::size_t per_principal = 128;  // 0: no cap
  std::size_t reserve = 16;         // connections beyond the caps, for health checks and metrics
  std::size_t reserve_per_address = 2;
};

// One accepted connection's slot.
class ConnectionTicket {
 public:
  struct State;
  ConnectionTicket(std::shared_ptr<State> state, std::string address, std::optional<Error> limited);
  ~ConnectionTicket();
  ConnectionTicket(const ConnectionTicket&) = delete;
  ConnectionTicket& operator=(const ConnectionTicket&) = delete;

  // Set for a reserve connection: why it may serve only /health, /ready and /metrics (rate_limited when its
  // address is over its cap, unavailable when the pool is full).
  const std::optional<Error>& limited() const { return limited_; }

  // Counts the connection against `principal` (its requests' authenticated caller; a connection whose
  // token changes moves). Fails (rate_limited, naming the principal and the limit) when the principal
  // already holds its share; the connection then stays with its previous principal, if any.
  Status claim(const std::string& principal);

 private:
  std::shared_ptr<State> state_;
  std::string address_;
  std::optional<Error> limited_;
  std::string principal_;
};

class ConnectionLimits {
 public:
  explicit ConnectionLimits(ConnectionCaps caps);

  // A ticket for a new connection from `address`: a full one within the caps, else a reserve one while
  // the reserve lasts, else nullptr (close the connection at once).
  std::unique_ptr<ConnectionTicket> admit(const boost::asio::ip::address& address);

 private:
  std::shared_ptr<ConnectionTicket::State> state_;  // shared with the tickets, which may outlive this
};

}  // namespace nbs::mcpd
