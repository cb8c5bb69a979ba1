#include "mcpd/mcp/mcp_session.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <openssl/rand.h>

#include "common/digest.hpp"

namespace nbs::mcpd {

std::string random_hex_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("session id: the random source failed");
  }
  return hex(bytes);
}

SessionStore::SessionStore(Clock::duration idle_ttl, std::size_t max_sessions,
                           std::size_t max_sessions_per_client)
    : idle_ttl_(idle_ttl),
      max_sessions_(std::max<std::size_t>(1, max_sessions)),
      max_per_client_(std::max<std::size_t>(1, max_sessions_per_client)) {}

// `id` by value: callers pass ids that live in the nodes this erases.
// NOLINTNEXTLINE(performance-unnecessary-value-param): a reference could dangle, see above
void SessionStore::erase_locked(std::string id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return;
  }
  Use use{it->second.last_used, id};
  by_use_.erase(use);
  auto client = by_client_.find(it->second.client);
  client->second.erase(use);
  if (client->second.empty()) {
    by_client_.erase(client);
  }
  sessions_.erase(it);
}

// `client` by value, as `id` above: create() passes a key of by_client_, whose node this may erase.
// NOLINTNEXTLINE(performance-unnecessary-value-param): a reference could dangle, see above
void SessionStore::evict_locked(std::string client) {
  auto it = by_client_.find(client);
  if (it != by_client_.end()) {
    erase_locked(it->second.begin()->second);
  }
}

void SessionStore::expire_locked(Clock::time_point now) {
  while (!by_use_.empty() && now - by_use_.begin()->first > idle_ttl_) {
    erase_locked(by_use_.begin()->second);
  }
}

SessionInfo SessionStore::create(std::string protocol_version, std::string principal, std::string client,
                                 boost::json::object client_capabilities) {
  SessionInfo info{random_hex_id(), std::move(protocol_version), std::move(principal),
                   std::move(client_capabilities), false};
  auto now = Clock::now();
  std::lock_guard lock(mutex_);
  expire_locked(now);
  if (auto own = by_client_.find(client); own != by_client_.end() && own->second.size() >= max_per_client_) {
    evict_locked(client);
  } else if (sessions_.size() >= max_sessions_) {
    auto largest = std::max_element(by_client_.begin(), by_client_.end(), [](const auto& a, const auto& b) {
      return a.second.size() < b.second.size();
    });
    evict_locked(largest->first);
  }
  by_use_.emplace(now, info.id);
  by_client_[client].emplace(now, info.id);
  sessions_[info.id] = Entry{info, std::move(client), now};
  return info;
}

std::optional<SessionInfo> SessionStore::touch(const std::string& id, const std::string& principal) {
  auto now = Clock::now();
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return std::nullopt;
  }
  Entry& entry = it->second;
  if (now - entry.last_used > idle_ttl_) {
    erase_locked(id);
    return std::nullopt;
  }
  if (entry.info.principal != principal) {
    return std::nullopt;
  }
  auto& own = by_client_[entry.client];
  by_use_.erase(Use{entry.last_used, id});
  own.erase(Use{entry.last_used, id});
  entry.last_used = now;
  by_use_.emplace(now, id);
  own.emplace(now, id);
  return entry.info;
}

void SessionStore::mark_initialized(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(id); it != sessions_.end()) {
    it->second.info.initialized = true;
  }
}

bool SessionStore::erase(const std::string& id) {
  std::lock_guard lock(mutex_);
  bool existed = sessions_.contains(id);
  erase_locked(id);
  return existed;
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace nbs::mcpd
