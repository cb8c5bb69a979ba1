// One build at a time per (registry, image, branch): a lease in the record store under
// `locks/<hash>`, taken and released with check-and-set so two daemons sharing a store agree. A lease
// has an expiry past the longest its job may take, so a lock whose holder vanished frees itself.
// The leases this daemon holds are remembered with their store index: looking at, renewing and giving
// back one's own lease then costs at most one write (a Nomad Variables request each, on a cluster).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
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

  // Takes (or renews, when already ours) the lease until now + ttl: `ours`, or `other` with the holder
  // when someone else holds an unexpired lease (nothing is written then). ErrorKind::conflict: another
  // daemon wrote the lease between our read and our write.
  Result<LockView> acquire(const std::string& key, const std::string& job_id, SystemTime now,
                           std::chrono::seconds ttl);

  // Gives the lease back if `job_id` holds it.
  Status release(const std::string& key, const std::string& job_id);

 private:
  struct HeldLease {
    std::string holder;
    std::uint64_t index = 0;
    SystemTime expires;
  };
  std::optional<HeldLease> held(const std::string& key);
  void hold(const std::string& key, std::optional<HeldLease> lease);  // nullopt: forget it

  jobs::RecordStore& store_;
  std::mutex mutex_;
  std::map<std::string, HeldLease> held_;
};

}  // namespace nbs::mcpd
