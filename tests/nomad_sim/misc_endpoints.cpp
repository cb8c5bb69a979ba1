// Status, agent, regions and namespaces (ref §2.13), plus the simulator's own /sim/ control API
// (faults and request statistics), which real Nomad does not have.
#include "tests/nomad_sim/endpoint_util.hpp"
#include "tests/nomad_sim/router.hpp"
#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

json::object namespace_json(const std::string& name, std::uint64_t index) {
  return json::object{{"Name", name},
                      {"Description", name == "default" ? "Default shared namespace" : ""},
                      {"Quota", ""},
                      {"Capabilities", nullptr},
                      {"NodePoolConfiguration", nullptr},
                      {"VaultConfiguration", nullptr},
                      {"ConsulConfiguration", nullptr},
                      {"Meta", nullptr},
                      {"CreateIndex", index},
                      {"ModifyIndex", index}};
}

SimResponse not_found_empty() {
  SimResponse r;
  r.status = 404;
  r.content_type = "text/plain; charset=utf-8";
  return r;
}

SimResponse bad_request(const std::string& text) {
  return text_error(400, text);
}

}  // namespace

Reply handle_misc(SimContext& ctx, const SimRequest& req) {
  const std::string& path = req.path;
  const std::uint64_t index = ctx.state.read([](const Tables& t) { return t.index; });
  if (req.method != "GET") {
    return Reply::of(path.rfind("/v1/", 0) == 0 ? text_error(405, "Invalid method") : not_found_empty());
  }
  if (path == "/v1/status/leader") {
    return Reply::of(query_ok(json::value(ctx.config.leader), index));
  }
  if (path == "/v1/status/peers") {
    return Reply::of(query_ok(json::array{json::value(ctx.config.leader)}, index));
  }
  if (path == "/v1/regions") {
    return Reply::of(query_ok(json::array{json::value(ctx.config.region)}, index));
  }
  if (path == "/v1/agent/health") {
    return Reply::of(json_reply(json::serialize(json::object{
        {"client", json::object{{"ok", true}, {"message", "ok"}}},
        {"server", json::object{{"ok", true}, {"message", "ok"}}},
    })));
  }
  if (path == "/v1/agent/self") {
    return Reply::of(json_reply(json::serialize(json::object{
        {"config", json::object{{"Region", ctx.config.region},
                                {"Datacenter", ctx.config.datacenter},
                                {"NodeName", ctx.config.node_name},
                                {"ACL", json::object{{"Enabled", !ctx.config.acl_token.empty()}}}}},
        {"member", json::object{{"Name", ctx.config.node_name + "." + ctx.config.region}}},
    })));
  }
  if (path == "/v1/namespaces") {
    json::array out;
    for (const auto& ns : ctx.config.namespaces) {
      out.push_back(namespace_json(ns, 1));
    }
    return Reply::of(query_ok(out, index));
  }
  if (path.rfind("/v1/namespace/", 0) == 0) {
    const std::string name = path.substr(14);
    for (const auto& ns : ctx.config.namespaces) {
      if (ns == name) {
        return Reply::of(query_ok(namespace_json(ns, 1), 1));
      }
    }
    return Reply::of(query_error(404, "Namespace not found", index));
  }
  return Reply::of(not_found_empty());
}

Reply handle_sim(SimContext& ctx, const SimRequest& req) {
  if (req.path == "/sim/faults") {
    if (req.method == "GET") {
      return Reply::of(json_reply(json::serialize(ctx.faults.describe())));
    }
    if (req.method == "DELETE") {
      ctx.faults.clear();
      ctx.scheduler.retry_blocked();
      return Reply::of(json_reply(json::serialize(ctx.faults.describe())));
    }
    if (req.method != "POST" && req.method != "PUT") {
      return Reply::of(text_error(405, "Invalid method"));
    }
    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec || !body.is_object()) {
      return Reply::of(bad_request("faults: body must be a JSON object"));
    }
    if (auto s = ctx.faults.apply(body.get_object()); !s) {
      return Reply::of(bad_request(s.error().message));
    }
    const json::object& b = body.get_object();
    if (const std::string id = string_field(b, "lose_alloc"); !id.empty()) {
      if (auto s = ctx.scheduler.lose_alloc(id); !s) {
        return Reply::of(text_error(404, s.error().message));
      }
    }
    if (const std::string job = string_field(b, "lose_job"); !job.empty()) {
      if (auto s = ctx.scheduler.lose_job(request_namespace(req), job); !s) {
        return Reply::of(text_error(404, s.error().message));
      }
    }
    if (const json::value* fp = b.if_contains("fail_placement");
        fp != nullptr && as_int(*fp).value_or(0) == 0) {
      ctx.scheduler.retry_blocked();
    }
    return Reply::of(json_reply(json::serialize(ctx.faults.describe())));
  }
  if (req.path == "/sim/stats") {
    if (req.method == "DELETE") {
      ctx.stats.reset();
    }
    return Reply::of(json_reply(json::serialize(ctx.stats.to_json())));
  }
  return Reply::of(not_found_empty());
}

}  // namespace nbs::nomad_sim
