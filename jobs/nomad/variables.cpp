#include "jobs/nomad/variables.hpp"

#include <boost/json/serialize.hpp>

#include "jobs/nomad/errors.hpp"
#include "jobs/nomad/json_fields.hpp"

namespace nbs::jobs::nomad {
namespace json = boost::json;

namespace {

std::string var_path(std::string_view path) {
  return "/v1/var/" + std::string(path);
}

std::string go_seconds(std::chrono::seconds s) {
  return std::to_string(s.count()) + "s";
}

Params cas_params(CasIndex cas) {
  Params p;
  if (cas) {
    p.emplace_back("cas", std::to_string(*cas));
  }
  return p;
}

// A 409 carries the stored variable; hand it to the caller and report the conflict.
Error conflict_with(const Reply& reply, std::string_view method, std::string_view path,
                    std::optional<Variable>* current) {
  if (current != nullptr) {
    current->reset();
    auto parsed = fields::parse_body(reply.body, "nomad: variable conflict");
    if (parsed && parsed->is_object()) {
      *current = variable_from_json(parsed->as_object());
    }
  }
  return make_error(ErrorKind::conflict, "nomad: " + std::string(method) + " " + std::string(path) +
                                             ": 409 check-and-set conflict");
}

}  // namespace

Variable variable_from_json(const json::object& o) {
  Variable v;
  v.namespace_name = fields::str(o, "Namespace");
  v.path = fields::str(o, "Path");
  v.items = fields::string_map(o, "Items");
  v.create_index = fields::u64(o, "CreateIndex");
  v.modify_index = fields::u64(o, "ModifyIndex");
  v.create_time_ns = fields::i64(o, "CreateTime");
  v.modify_time_ns = fields::i64(o, "ModifyTime");
  if (const auto* lock = fields::object(o, "Lock")) {
    v.lock =
        VariableLock{fields::str(*lock, "ID"), fields::str(*lock, "TTL"), fields::str(*lock, "LockDelay")};
  }
  return v;
}

Result<Queried<Variable>> Variables::read(std::string_view path, const QueryOptions& query) {
  auto reply = client_.read(var_path(path), query);
  if (!reply) {
    return reply.error();
  }
  auto v = fields::parse_object<Variable>(reply->body, "nomad: variable", variable_from_json);
  if (!v) {
    return v.error();
  }
  return Queried<Variable>{std::move(*v), reply->meta};
}

Result<Variable> Variables::put(std::string_view path, const json::object& body, Params params,
                                const WriteOptions& options, std::optional<Variable>* current) {
  const std::string url_path = var_path(path);
  auto reply = client_.write_raw("PUT", url_path, json::serialize(body), options, std::move(params));
  if (!reply) {
    return reply.error();
  }
  if (reply->status == 409) {
    return conflict_with(*reply, "PUT", url_path, current);
  }
  if (reply->status < 200 || reply->status >= 300) {
    return nomad_error(reply->status, reply->body, "PUT", url_path);
  }
  return fields::parse_object<Variable>(reply->body, "nomad: variable", variable_from_json);
}

Result<Variable> Variables::write(const Variable& variable, CasIndex cas, const WriteOptions& options,
                                  std::optional<Variable>* current) {
  json::object items;
  for (const auto& [k, v] : variable.items) {
    items[k] = v;
  }
  json::object body{{"Path", variable.path}, {"Items", std::move(items)}};
  if (!variable.namespace_name.empty()) {
    body["Namespace"] = variable.namespace_name;
  }
  return put(variable.path, body, cas_params(cas), options, current);
}

Status Variables::remove(std::string_view path, CasIndex cas, const WriteOptions& options,
                         std::optional<Variable>* current) {
  const std::string url_path = var_path(path);
  auto reply = client_.write_raw("DELETE", url_path, "", options, cas_params(cas));
  if (!reply) {
    return reply.error();
  }
  if (reply->status == 409) {
    return conflict_with(*reply, "DELETE", url_path, current);
  }
  if (reply->status < 200 || reply->status >= 300) {
    return nomad_error(reply->status, reply->body, "DELETE", url_path);
  }
  return {};
}

Result<Queried<std::vector<Variable>>> Variables::list(const QueryOptions& query) {
  auto reply = client_.read("/v1/vars", query);
  if (!reply) {
    return reply.error();
  }
  auto vars = fields::parse_list<Variable>(reply->body, "nomad: variables", variable_from_json);
  if (!vars) {
    return vars.error();
  }
  return Queried<std::vector<Variable>>{std::move(*vars), reply->meta};
}

Result<Variable> Variables::lock_acquire(std::string_view path, std::chrono::seconds ttl,
                                         std::chrono::seconds lock_delay,
                                         const std::map<std::string, std::string>& items,
                                         const WriteOptions& options, std::optional<Variable>* current) {
  json::object body{{"Path", path},
                    {"Lock", {{"TTL", go_seconds(ttl)}, {"LockDelay", go_seconds(lock_delay)}}}};
  if (!items.empty()) {
    json::object i;
    for (const auto& [k, v] : items) {
      i[k] = v;
    }
    body["Items"] = std::move(i);
  }
  return put(path, body, {{"lock-acquire", ""}}, options, current);
}

Result<Variable> Variables::lock_renew(std::string_view path, std::string_view lock_id,
                                       const WriteOptions& options) {
  json::object body{{"Path", path}, {"Lock", {{"ID", lock_id}}}};
  return put(path, body, {{"lock-renew", ""}}, options, nullptr);
}

Result<Variable> Variables::lock_release(std::string_view path, std::string_view lock_id,
                                         const WriteOptions& options) {
  json::object body{{"Path", path}, {"Lock", {{"ID", lock_id}}}};
  return put(path, body, {{"lock-release", ""}}, options, nullptr);
}

}  // namespace nbs::jobs::nomad
