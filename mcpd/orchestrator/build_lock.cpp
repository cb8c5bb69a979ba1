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

Result<LockView> BuildLock::view(const std::string& key, const std::string& job_id, SystemTime now) {
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

Status BuildLock::acquire(const std::string& key, const std::string& job_id, SystemTime now,
                          std::chrono::seconds ttl) {
  auto stored = store_.get(key);
  if (!stored) {
    return stored.error();
  }
  std::uint64_t index = 0;
  if (*stored) {
    auto lease = parse_lease((*stored)->value);
    if (lease && lease->holder != job_id && lease->expires >= now) {
      return make_error(ErrorKind::conflict, "build lock held by job " + lease->holder);
    }
    index = (*stored)->index;
  }
  const json::object lease{{"holder", job_id}, {"expires", format_utc(now + ttl)}};
  auto put = store_.put(key, json::serialize(lease), index);
  if (!put) {
    return put.error();
  }
  return {};
}

Status BuildLock::release(const std::string& key, const std::string& job_id) {
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
