// Legacy-era HTTP sessions: minted on initialize (128 random bits), carrying the negotiated protocol
// version, expiring after an idle TTL, ended by DELETE. Never used for authentication. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

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

  SessionStore(Clock::duration idle_ttl, std::size_t max_sessions);

  // Creates a session; evicts the least recently used one when full.
  SessionInfo create(std::string protocol_version, std::string principal,
                     boost::json::object client_capabilities);

  // The session if it exists, has not expired and belongs to `principal`; refreshes its idle timer.
  std::optional<SessionInfo> touch(const std::string& id, const std::string& principal);

  void mark_initialized(const std::string& id);
  // True if it existed.
  bool erase(const std::string& id);
  std::size_t size() const;

 private:
  struct Entry {
    SessionInfo info;
    Clock::time_point last_used;
  };
  void expire_locked(Clock::time_point now);

  Clock::duration idle_ttl_;
  std::size_t max_sessions_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> sessions_;
};

// 32 lower-case hex characters from a cryptographic random source.
std::string random_hex_id();

}  // namespace nbs::mcpd
