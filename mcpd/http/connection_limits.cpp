#include "mcpd/http/connection_limits.hpp"

#include <mutex>
#include <unordered_map>

#include "mcpd/mcp/client_key.hpp"

namespace nbs::mcpd {

struct ConnectionTicket::State {
  explicit State(ConnectionCaps c) : caps(c) {}

  const ConnectionCaps caps;
  std::mutex mutex;
  std::size_t pool = 0;  // full connections
  std::size_t reserve = 0;
  std::unordered_map<std::string, std::size_t> by_address;  // full connections
  std::unordered_map<std::string, std::size_t> reserve_by_address;
  std::unordered_map<std::string, std::size_t> by_principal;
};

namespace {

// Decrements a count, forgetting keys that reach zero so the maps hold only current clients.
void release(std::unordered_map<std::string, std::size_t>& counts, const std::string& key) {
  if (auto it = counts.find(key); it != counts.end() && --it->second == 0) {
    counts.erase(it);
  }
}

std::size_t count_of(const std::unordered_map<std::string, std::size_t>& counts, const std::string& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

}  // namespace

ConnectionTicket::ConnectionTicket(std::shared_ptr<State> state, std::string address,
                                   std::optional<Error> limited)
    : state_(std::move(state)), address_(std::move(address)), limited_(std::move(limited)) {}

ConnectionTicket::~ConnectionTicket() {
  std::lock_guard lock(state_->mutex);
  if (limited_) {
    --state_->reserve;
    release(state_->reserve_by_address, address_);
    return;
  }
  --state_->pool;
  release(state_->by_address, address_);
  if (!principal_.empty()) {
    release(state_->by_principal, principal_);
  }
}

Status ConnectionTicket::claim(const std::string& principal) {
  if (principal == principal_) {
    return {};
  }
  std::lock_guard lock(state_->mutex);
  const std::size_t cap = state_->caps.per_principal;
  if (cap != 0 && count_of(state_->by_principal, principal) >= cap) {
    return make_error(ErrorKind::rate_limited, "connections: principal '" + principal + "' already has " +
                                                   std::to_string(cap) +
                                                   " open connections, the limit per principal "
                                                   "(max_connections_per_principal)");
  }
  if (!principal_.empty()) {
    release(state_->by_principal, principal_);
  }
  ++state_->by_principal[principal];
  principal_ = principal;
  return {};
}

ConnectionLimits::ConnectionLimits(ConnectionCaps caps)
    : state_(std::make_shared<ConnectionTicket::State>(caps)) {}

std::unique_ptr<ConnectionTicket> ConnectionLimits::admit(const boost::asio::ip::address& address) {
  std::string key = address_key(address);
  const ConnectionCaps& caps = state_->caps;
  std::lock_guard lock(state_->mutex);
  const bool address_full = caps.per_address != 0 && count_of(state_->by_address, key) >= caps.per_address;
  if (!address_full && state_->pool < caps.max_connections) {
    ++state_->pool;
    ++state_->by_address[key];
    return std::make_unique<ConnectionTicket>(state_, std::move(key), std::nullopt);
  }
  if (state_->reserve >= caps.reserve ||
      count_of(state_->reserve_by_address, key) >= caps.reserve_per_address) {
    return nullptr;
  }
  ++state_->reserve;
  ++state_->reserve_by_address[key];
  // The address's own cap first: that one is the client's to fix.
  Error why = address_full
                  ? make_error(ErrorKind::rate_limited,
                               "connections: " + key + " already has " + std::to_string(caps.per_address) +
                                   " open connections, the limit per address (max_connections_per_address)")
                  : make_error(ErrorKind::unavailable,
                               "connections: all " + std::to_string(caps.max_connections) +
                                   " connections are in use (max_connections); only /health, /ready and "
                                   "/metrics are served");
  return std::make_unique<ConnectionTicket>(state_, std::move(key), std::move(why));
}

}  // namespace nbs::mcpd
