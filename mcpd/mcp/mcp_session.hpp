// Legacy-era HTTP sessions: minted on initialize (128 random bits), carrying the negotiated protocol
// version, expiring after an idle TTL, ended by DELETE, capped per client so that no client can evict
// another's. Never used for authentication. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <boost/json.hpp>

namespace nbs::mcpd {

struct SessionInfo {
  std::string id;
  std::string protocol_version;
  std::string principal;  // who initialized it; another principal cannot use it
  boost::json::object client_capabilities;
  bool initialized = false;  // notifications/initialized received
};

class SessionStore {
 public:
  using Clock = std::chrono::steady_clock;

  SessionStore(Clock::duration idle_ttl, std::size_t max_sessions, std::size_t max_sessions_per_client = 100);

  // Creates a session for `client`, who the per-client cap counts against (see mcpd/mcp/client_key.hpp).
  // A client at its cap loses its own least recently used session; a full store evicts the least
  // recently used session of the client holding the most, so no client evicts one holding fewer.
  SessionInfo create(std::string protocol_version, std::string principal, std::string client,
                     boost::json::object client_capabilities);

  // The session if it exists, has not expired and belongs to `principal`; refreshes its idle timer.
  std::optional<SessionInfo> touch(const std::string& id, const std::string& principal);

  void mark_initialized(const std::string& id);
  // True if it existed.
  bool erase(const std::string& id);
  std::size_t size() const;

 private:
  // (last use, id): orders sessions from the least recently used, ids breaking ties.
  using Use = std::pair<Clock::time_point, std::string>;
  struct Entry {
    SessionInfo info;
    std::string client;
    Clock::time_point last_used;
  };
  void erase_locked(std::string id);
  void evict_locked(std::string client);
  void expire_locked(Clock::time_point now);

  Clock::duration idle_ttl_;
  std::size_t max_sessions_;
  std::size_t max_per_client_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> sessions_;
  std::set<Use> by_use_;                            // every session
  std::map<std::string, std::set<Use>> by_client_;  // each client's sessions
};

// 32 lower-case hex characters from a cryptographic random source.
std::string random_hex_id();

}  // namespace nbs::mcpd
