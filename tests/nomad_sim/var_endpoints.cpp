// Nomad Variables (ref §2.9): /v1/vars listing, /v1/var/:path read/write/delete with check-and-set,
// and lock acquire/renew/release with TTL and LockDelay as Go duration strings.
#include <regex>

#include "tests/nomad_sim/endpoint_util.hpp"
#include "tests/nomad_sim/router.hpp"
#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

constexpr std::int64_t k_default_lock_ns = 15'000'000'000;

// A TTL expired without renewal: the lock goes away and re-acquiring waits for LockDelay.
void expire_lock(Variable& v, std::int64_t now) {
  if (v.lock && now >= v.lock->expires_at) {
    v.lock_delay_until = v.lock->expires_at + v.lock->delay_ns;
    v.lock.reset();
  }
}

SimResponse conflict(const Variable& v) {
  SimResponse r = json_reply(json::serialize(variable_to_json(v, true)), 409);
  r.write_index = v.modify_index;
  return r;
}

SimResponse written(const Variable& v, bool with_items) {
  SimResponse r = json_reply(json::serialize(variable_to_json(v, with_items)));
  r.write_index = v.modify_index;
  return r;
}

std::string lock_id_of(const json::object& body) {
  const json::object* lock = object_field(body, "Lock");
  return lock != nullptr ? string_field(*lock, "ID") : "";
}

// Parses a lock duration field ("15s"); nullopt when the text is not a Go duration.
std::optional<std::pair<std::string, std::int64_t>> lock_duration(const json::object* lock,
                                                                  std::string_view key) {
  const std::string text = lock != nullptr ? string_field(*lock, key) : "";
  if (text.empty()) {
    return std::make_pair(std::string("15s"), k_default_lock_ns);
  }
  const auto d = parse_go_duration(text);
  if (!d) {
    return std::nullopt;
  }
  return std::make_pair(format_go_duration(*d), static_cast<std::int64_t>(d->count()));
}

struct WriteOp {
  std::string ns;
  std::string path;
  std::string op;  // "", "lock-acquire", "lock-renew", "lock-release"
  std::optional<std::uint64_t> cas;
  json::object body;
};

void touch(Tables& t, Variable& v) {
  const std::uint64_t idx = t.bump();
  v.modify_index = idx;
  v.modify_time = now_ns();
  if (v.create_index == 0) {
    v.create_index = idx;
    v.create_time = v.modify_time;
  }
  t.vars_index = idx;
}

SimResponse acquire(Tables& t, const WriteOp& w, Variable& v, bool exists, std::int64_t now) {
  if (v.lock || now < v.lock_delay_until) {
    return conflict(v);
  }
  const json::object* lock = object_field(w.body, "Lock");
  const auto ttl = lock_duration(lock, "TTL");
  const auto delay = lock_duration(lock, "LockDelay");
  if (!ttl || !delay) {
    return text_error(400, "invalid lock TTL or LockDelay duration");
  }
  if (ttl->second < 10'000'000'000 || ttl->second > 86'400'000'000'000) {
    return text_error(400, "lock TTL must be between 10s and 24h");
  }
  if (const json::object* items = object_field(w.body, "Items"); items != nullptr && !items->empty()) {
    v.items = *items;
  } else if (!exists) {
    v.items = json::object{};
  }
  v.lock = VariableLock{new_uuid(), ttl->first, delay->first, ttl->second, delay->second, now + ttl->second};
  touch(t, v);
  return written(v, true);
}

SimResponse write_var(Tables& t, const WriteOp& w) {
  const std::int64_t now = now_ns();
  const NsKey key{w.ns, w.path};
  const bool exists = t.vars.count(key) != 0;
  Variable scratch;
  scratch.ns = w.ns;
  scratch.path = w.path;
  Variable& v = exists ? t.vars.at(key) : scratch;
  expire_lock(v, now);
  const json::object* items = object_field(w.body, "Items");
  if (w.op == "lock-acquire") {
    SimResponse r = acquire(t, w, v, exists, now);
    if (!exists && r.status == 200) {
      t.vars.emplace(key, std::move(scratch));
    }
    return r;
  }
  if (w.op == "lock-renew" || w.op == "lock-release") {
    if (w.op == "lock-release" && items != nullptr && !items->empty()) {
      return text_error(400, "lock release operation doesn't take variable items");
    }
    if (!exists) {
      return text_error(404, "variable not found");
    }
    if (!v.lock) {
      return text_error(409, "variable doesn't hold a lock");
    }
    if (lock_id_of(w.body) != v.lock->id) {
      return conflict(v);
    }
    if (w.op == "lock-renew") {
      v.lock->expires_at = now + v.lock->ttl_ns;
      return written(v, false);
    }
    v.lock.reset();
    touch(t, v);
    return written(v, true);
  }
  if (items == nullptr || items->empty()) {
    return text_error(400, "variable missing required Items object");
  }
  if (!exists && object_field(w.body, "Lock") != nullptr) {
    return text_error(400, "variable should not contain lock definition");
  }
  if (w.cas && *w.cas != (exists ? v.modify_index : 0)) {
    return conflict(v);
  }
  if (v.lock && lock_id_of(w.body) != v.lock->id) {
    return conflict(v);
  }
  v.items = *items;
  touch(t, v);
  if (!exists) {
    t.vars.emplace(key, std::move(scratch));
    return written(t.vars.at(key), true);
  }
  return written(v, true);
}

SimResponse delete_var(Tables& t, const NsKey& key, std::optional<std::uint64_t> cas) {
  const auto it = t.vars.find(key);
  if (it == t.vars.end()) {
    if (cas && *cas != 0) {
      Variable none;
      none.ns = key.first;
      none.path = key.second;
      return conflict(none);
    }
  } else {
    expire_lock(it->second, now_ns());
    if ((cas && *cas != it->second.modify_index) || it->second.lock) {
      return conflict(it->second);
    }
    t.vars.erase(it);
  }
  const std::uint64_t idx = t.bump();
  t.vars_index = idx;
  SimResponse r;
  r.status = 204;
  r.content_type.clear();
  r.write_index = idx;
  return r;
}

Reply list_vars(SimContext& ctx, const SimRequest& req) {
  const std::string ns = request_namespace(req);
  const std::string prefix = req.param("prefix");
  return query_reply(req, [&state = ctx.state, ns, prefix] {
    return state.read([&](const Tables& t) {
      json::array out;
      for (const auto& [key, v] : t.vars) {
        if ((ns == "*" || key.first == ns) && key.second.rfind(prefix, 0) == 0) {
          Variable view = v;
          expire_lock(view, now_ns());
          out.push_back(variable_to_json(view, false));
        }
      }
      return query_ok(out, t.vars_index);
    });
  });
}

Reply read_var(SimContext& ctx, const SimRequest& req, const NsKey& key) {
  return query_reply(req, [&state = ctx.state, key] {
    return state.read([&](const Tables& t) {
      const auto it = t.vars.find(key);
      if (it == t.vars.end()) {
        return query_error(404, "variable not found", t.vars_index);
      }
      Variable view = it->second;
      expire_lock(view, now_ns());
      return query_ok(variable_to_json(view, true), view.modify_index);
    });
  });
}

// ?cas=N; nullopt when absent, an error text when unparsable.
nbs::Result<std::optional<std::uint64_t>> cas_param(const SimRequest& req) {
  if (!req.has("cas")) {
    return std::optional<std::uint64_t>();
  }
  const std::string s = req.param("cas");
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
    return nbs::make_error(nbs::ErrorKind::invalid_argument,
                           "can not parse cas: strconv.ParseUint: parsing \"" + s + "\": invalid syntax");
  }
  return std::optional<std::uint64_t>(std::stoull(s));
}

}  // namespace

Reply handle_vars(SimContext& ctx, const SimRequest& req) {
  if (req.path == "/v1/vars") {
    return req.method == "GET" ? list_vars(ctx, req) : Reply::of(text_error(405, "Invalid method"));
  }
  const std::string path = req.path.substr(8);
  if (path.empty()) {
    return Reply::of(text_error(400, "missing variable path"));
  }
  static const std::regex k_path_rule("^[a-zA-Z0-9\\-_~/]{1,128}$");
  if (!std::regex_match(path, k_path_rule)) {
    return Reply::of(text_error(400, "invalid path \"" + path + "\""));
  }
  const auto cas = cas_param(req);
  if (!cas) {
    return Reply::of(text_error(400, cas.error().message));
  }
  const NsKey key{request_namespace(req), path};
  if (req.method == "GET") {
    return read_var(ctx, req, key);
  }
  if (req.method == "DELETE") {
    return Reply::of(ctx.state.write([&](Tables& t) { return delete_var(t, key, *cas); }));
  }
  if (req.method != "PUT" && req.method != "POST") {
    return Reply::of(text_error(405, "Invalid method"));
  }
  WriteOp w;
  int ops = 0;
  for (const char* op : {"lock-acquire", "lock-renew", "lock-release"}) {
    if (req.has(op)) {
      w.op = op;
      ++ops;
    }
  }
  if (ops > 1) {
    return Reply::of(text_error(400, "multiple lock operations"));
  }
  if (ops == 1 && *cas) {
    return Reply::of(text_error(400, "CAS can't be used with lock operations"));
  }
  auto body = parse_body(req.body);
  if (!body) {
    return Reply::of(text_error(400, body.error().message));
  }
  w.body = std::move(*body);
  w.ns = req.has("namespace") ? key.first : string_field(w.body, "Namespace");
  if (w.ns.empty()) {
    w.ns = "default";
  }
  w.path = path;
  w.cas = *cas;
  return Reply::of(ctx.state.write([&](Tables& t) { return write_var(t, w); }));
}

}  // namespace nbs::nomad_sim
