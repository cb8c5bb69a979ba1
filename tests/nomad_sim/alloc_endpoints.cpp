// /v1/allocation/:id, /v1/allocations, /v1/evaluation/:id[/allocations], /v1/evaluations (ref §2.5–2.7).
#include <string_view>

#include "tests/nomad_sim/endpoint_util.hpp"
#include "tests/nomad_sim/router.hpp"
#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

bool matches_ns(const std::string& ns, const std::string& wanted) {
  return wanted == "*" || ns == wanted;
}

Reply read_alloc(SimContext& ctx, const SimRequest& req, const std::string& id) {
  return query_reply(req, [&state = ctx.state, id] {
    return state.read([&](const Tables& t) {
      const auto it = t.allocs.find(id);
      if (it == t.allocs.end()) {
        return query_error(404, "alloc not found", t.allocs_index);
      }
      return query_ok(alloc_to_json(it->second), it->second.modify_index);
    });
  });
}

Reply list_allocs(SimContext& ctx, const SimRequest& req, const std::string& eval_id) {
  const std::string ns = request_namespace(req);
  const std::string prefix = req.param("prefix");
  return query_reply(req, [&state = ctx.state, ns, prefix, eval_id] {
    return state.read([&](const Tables& t) {
      json::array out;
      for (const auto& [id, a] : t.allocs) {
        if ((eval_id.empty() ? matches_ns(a.ns, ns) && id.rfind(prefix, 0) == 0 : a.eval_id == eval_id)) {
          out.push_back(alloc_stub_to_json(a));
        }
      }
      return query_ok(out, t.allocs_index);
    });
  });
}

Reply read_eval(SimContext& ctx, const SimRequest& req, const std::string& id) {
  return query_reply(req, [&state = ctx.state, id] {
    return state.read([&](const Tables& t) {
      const auto it = t.evals.find(id);
      if (it == t.evals.end()) {
        return query_error(404, "eval not found", t.evals_index);
      }
      return query_ok(to_json(it->second), it->second.modify_index);
    });
  });
}

Reply list_evals(SimContext& ctx, const SimRequest& req) {
  const std::string ns = request_namespace(req);
  const std::string prefix = req.param("prefix");
  const std::string job = req.param("job");
  return query_reply(req, [&state = ctx.state, ns, prefix, job] {
    return state.read([&](const Tables& t) {
      json::array out;
      for (const auto& [id, e] : t.evals) {
        if (matches_ns(e.ns, ns) && id.rfind(prefix, 0) == 0 && (job.empty() || e.job_id == job)) {
          out.push_back(to_json(e));
        }
      }
      return query_ok(out, t.evals_index);
    });
  });
}

}  // namespace

Reply handle_allocs(SimContext& ctx, const SimRequest& req) {
  const std::string_view path = req.path;
  if (req.method != "GET") {
    return Reply::of(text_error(405, "Invalid method"));
  }
  if (path == "/v1/allocations") {
    return list_allocs(ctx, req, "");
  }
  if (path == "/v1/evaluations") {
    return list_evals(ctx, req);
  }
  if (path.rfind("/v1/allocation/", 0) == 0) {
    return read_alloc(ctx, req, std::string(path.substr(15)));
  }
  if (path.rfind("/v1/evaluation/", 0) == 0) {
    std::string id{path.substr(15)};
    const std::string suffix = "/allocations";
    if (id.size() > suffix.size() && id.substr(id.size() - suffix.size()) == suffix) {
      return list_allocs(ctx, req, id.substr(0, id.size() - suffix.size()));
    }
    return read_eval(ctx, req, id);
  }
  SimResponse not_found;
  not_found.status = 404;
  not_found.content_type = "text/plain; charset=utf-8";
  return Reply::of(not_found);
}

}  // namespace nbs::nomad_sim
