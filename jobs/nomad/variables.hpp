// Nomad Variables: read, check-and-set write and delete, list by prefix, and the lock operations
// (acquire, renew, release) the daemon uses for leases. A lost check-and-set (HTTP 409) is
// ErrorKind::conflict and hands back the variable as it is now.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "jobs/nomad/client.hpp"

namespace nbs::jobs::nomad {

struct VariableLock {
  std::string id;
  std::string ttl;         // Go duration string, "15s"
  std::string lock_delay;  // "15s"
};

struct Variable {
  std::string namespace_name;
  std::string path;
  std::map<std::string, std::string> items;  // empty in lists and lock renewals
  std::uint64_t create_index = 0;
  std::uint64_t modify_index = 0;
  std::int64_t create_time_ns = 0;
  std::int64_t modify_time_ns = 0;
  std::optional<VariableLock> lock;
};

Variable variable_from_json(const boost::json::object& o);

// Check-and-set: nullopt writes unconditionally; 0 creates only if absent; N writes only over ModifyIndex N.
using CasIndex = std::optional<std::uint64_t>;

class Variables {
 public:
  explicit Variables(Client& client) : client_(client) {}

  // not_found when the variable does not exist. Blocking with query.index.
  Result<Queried<Variable>> read(std::string_view path, const QueryOptions& query = {});

  // The stored variable. On a lost check-and-set (or a variable locked by someone else) the error is
  // conflict and `current`, when given, receives the variable as stored now.
  Result<Variable> write(const Variable& variable, CasIndex cas = std::nullopt,
                         const WriteOptions& options = {}, std::optional<Variable>* current = nullptr);
  Status remove(std::string_view path, CasIndex cas = std::nullopt, const WriteOptions& options = {},
                std::optional<Variable>* current = nullptr);

  // Metadata (no items) of the variables under query.prefix.
  Result<Queried<std::vector<Variable>>> list(const QueryOptions& query = {});

  // Creates the variable if absent and locks it for `ttl` (Nomad allows 10 s to 24 h); a held lock is
  // conflict. The returned variable's lock.id renews and releases it.
  Result<Variable> lock_acquire(std::string_view path, std::chrono::seconds ttl,
                                std::chrono::seconds lock_delay,
                                const std::map<std::string, std::string>& items = {},
                                const WriteOptions& options = {}, std::optional<Variable>* current = nullptr);
  // conflict when `lock_id` does not hold the lock (expired, released or someone else's).
  Result<Variable> lock_renew(std::string_view path, std::string_view lock_id,
                              const WriteOptions& options = {});
  Result<Variable> lock_release(std::string_view path, std::string_view lock_id,
                                const WriteOptions& options = {});

 private:
  Result<Variable> put(std::string_view path, const boost::json::object& body, Params params,
                       const WriteOptions& options, std::optional<Variable>* current);
  Client& client_;
};

}  // namespace nbs::jobs::nomad
