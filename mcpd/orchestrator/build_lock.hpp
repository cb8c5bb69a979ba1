// One build at a time per (registry, image, branch): a lease in the record store under
// `locks/<hash>`, taken and released with check-and-set so two daemons sharing a store agree. A lease
// has an expiry, renewed at every phase transition, so a lock whose holder vanished frees itself.
#pragma once

#include <chrono>
#include <string>

#include "jobs/record_store.hpp"
#include "mcpd/orchestrator/reconciler.hpp"

namespace nbs::mcpd {

struct LockView {
  LockState state = LockState::free;
  std::string holder;
};

class BuildLock {
 public:
  explicit BuildLock(jobs::RecordStore& store) : store_(store) {}

  // Who holds the lock of `key` now, as seen by `job_id`; an expired lease counts as free.
  Result<LockView> view(const std::string& key, const std::string& job_id, SystemTime now);

  // Takes (or renews, when already ours) the lease until now + ttl. ErrorKind::conflict: someone else
  // holds it or won the race.
  Status acquire(const std::string& key, const std::string& job_id, SystemTime now, std::chrono::seconds ttl);

  // Gives the lease back if `job_id` holds it.
  Status release(const std::string& key, const std::string& job_id);

 private:
  jobs::RecordStore& store_;
};

}  // namespace nbs::mcpd
