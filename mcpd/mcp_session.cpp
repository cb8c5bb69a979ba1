#include "mcpd/mcp_session.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <openssl/rand.h>

namespace nbs::mcpd {

std::string random_hex_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("session id: the random source failed");
  }
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (unsigned char b : bytes) {
    out += k_hex[b >> 4];
    out += k_hex[b & 0x0f];
  }
  return out;
}

SessionStore::SessionStore(Clock::duration idle_ttl, std::size_t max_sessions)
    : idle_ttl_(idle_ttl), max_sessions_(std::max<std::size_t>(1, max_sessions)) {}

void SessionStore::expire_locked(Clock::time_point now) {
  std::erase_if(sessions_, [&](const auto& kv) { return now - kv.second.last_used > idle_ttl_; });
}

SessionInfo SessionStore::create(std::string protocol_version, std::string principal,
                                 boost::json::object client_capabilities) {
  SessionInfo info{random_hex_id(), std::move(protocol_version), std::move(principal),
                   std::move(client_capabilities), false};
  auto now = Clock::now();
  std::lock_guard lock(mutex_);
  expire_locked(now);
  if (sessions_.size() >= max_sessions_) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    sessions_.erase(oldest);
  }
  sessions_[info.id] = Entry{info, now};
  return info;
}

std::optional<SessionInfo> SessionStore::touch(const std::string& id, const std::string& principal) {
  auto now = Clock::now();
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return std::nullopt;
  }
  if (now - it->second.last_used > idle_ttl_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  if (it->second.info.principal != principal) {
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second.info;
}

void SessionStore::mark_initialized(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(id); it != sessions_.end()) {
    it->second.info.initialized = true;
  }
}

bool SessionStore::erase(const std::string& id) {
  std::lock_guard lock(mutex_);
  return sessions_.erase(id) > 0;
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace nbs::mcpd
