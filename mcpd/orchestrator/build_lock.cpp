#include "mcpd/orchestrator/build_lock.hpp"

#include <boost/json.hpp>

namespace nbs::mcpd {

namespace json = boost::json;

namespace {

struct Lease {
  std::string holder;
  SystemTime expires;
};

std::optional<Lease> parse_lease(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return std::nullopt;
  }
  const auto* holder = v.get_object().if_contains("holder");
  const auto* expires = v.get_object().if_contains("expires");
  if (!holder || !holder->is_string() || !expires || !expires->is_string()) {
    return std::nullopt;
  }
  auto when = parse_utc(expires->get_string());
  if (!when) {
    return std::nullopt;
  }
  return Lease{std::string(holder->get_string()), *when};
}

}  // namespace

std::optional<BuildLock::HeldLease> BuildLock::held(const std::string& key) {
  std::lock_guard guard(mutex_);
  auto it = held_.find(key);
  return it == held_.end() ? std::nullopt : std::optional<HeldLease>(it->second);
}

void BuildLock::hold(const std::string& key, std::optional<HeldLease> lease) {
  std::lock_guard guard(mutex_);
  if (lease) {
    held_[key] = std::move(*lease);
  } else {
    held_.erase(key);
  }
}

Result<LockView> BuildLock::view(const std::string& key, const std::string& job_id, SystemTime now) {
  // Nobody else can take an unexpired lease of ours, so our own memory answers for it.
  if (auto mine = held(key); mine && mine->holder == job_id && mine->expires >= now) {
    return LockView{LockState::ours, job_id};
  }
  auto stored = store_.get(key);
  if (!stored) {
    return stored.error();
  }
  if (!*stored) {
    return LockView{};
  }
  auto lease = parse_lease((*stored)->value);
  if (!lease || (lease->expires < now && lease->holder != job_id)) {
    return LockView{};
  }
  return LockView{lease->holder == job_id ? LockState::ours : LockState::other, lease->holder};
}

Result<LockView> BuildLock::acquire(const std::string& key, const std::string& job_id, SystemTime now,
                                    std::chrono::seconds ttl) {
  const json::object lease{{"holder", job_id}, {"expires", format_utc(now + ttl)}};
  const std::string value = json::serialize(lease);
  auto write = [&](std::uint64_t index) -> Result<LockView> {
    auto put = store_.put(key, value, index);
    hold(key, put ? std::optional<HeldLease>(HeldLease{job_id, *put, now + ttl}) : std::nullopt);
    if (!put) {
      return put.error();
    }
    return LockView{LockState::ours, job_id};
  };
  // Renewing our own lease, or taking a lock nobody holds: one write, checked by its index.
  auto mine = held(key);
  auto first = write(mine && mine->holder == job_id ? mine->index : 0);
  if (first || first.error().kind != ErrorKind::conflict) {
    return first;
  }
  // Someone wrote it since: see who holds it now.
  auto stored = store_.get(key);
  if (!stored) {
    return stored.error();
  }
  std::uint64_t index = 0;
  if (*stored) {
    auto current = parse_lease((*stored)->value);
    if (current && current->holder != job_id && current->expires >= now) {
      return LockView{LockState::other, current->holder};
    }
    index = (*stored)->index;
  }
  return write(index);
}

Status BuildLock::release(const std::string& key, const std::string& job_id) {
  if (auto mine = held(key); mine && mine->holder == job_id) {
    hold(key, std::nullopt);
    auto removed = store_.remove(key, mine->index);
    if (removed || removed.error().kind != ErrorKind::conflict) {
      return removed;
    }
    // Changed since we wrote it (it had expired and was taken): decide from what is there.
  }
  auto stored = store_.get(key);
  if (!stored) {
    return stored.error();
  }
  if (!*stored) {
    return {};
  }
  auto lease = parse_lease((*stored)->value);
  if (lease && lease->holder != job_id) {
    return {};  // not ours (any more): leave it alone
  }
  return store_.remove(key, (*stored)->index);
}

}  // namespace nbs::mcpd
