// /v1/jobs and /v1/job/:id[/allocations|/evaluations|/summary|/versions] (ref §2.1–2.8).
#include <algorithm>
#include <string_view>

#include "tests/nomad_sim/endpoint_util.hpp"
#include "tests/nomad_sim/router.hpp"
#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_write(const SimRequest& req) {
  return req.method == "PUT" || req.method == "POST";
}

bool in_namespace(const std::string& ns, const std::string& wanted) {
  return wanted == "*" || ns == wanted;
}

Reply list_jobs(SimContext& ctx, const SimRequest& req) {
  const std::string ns = request_namespace(req);
  const std::string prefix = req.param("prefix");
  const bool meta = req.param("meta") == "true";
  return query_reply(req, [&state = ctx.state, ns, prefix, meta] {
    return state.read([&](const Tables& t) {
      json::array out;
      for (const auto& [key, rec] : t.jobs) {
        if (in_namespace(key.first, ns) && key.second.rfind(prefix, 0) == 0) {
          out.push_back(job_list_stub(t, key, meta));
        }
      }
      // Nomad answers the job list with the higher of the jobs and job_summary table indexes, so a
      // blocking list query also wakes when an allocation's status moves a summary count; every
      // summary change here comes from an allocation write.
      return query_ok(out, std::max(t.jobs_index, t.allocs_index));
    });
  });
}

Reply read_job(SimContext& ctx, const SimRequest& req, const NsKey& key) {
  return query_reply(req, [&state = ctx.state, key] {
    return state.read([&](const Tables& t) {
      const auto it = t.jobs.find(key);
      if (it == t.jobs.end()) {
        return query_error(404, "job not found", t.jobs_index);
      }
      return query_ok(it->second.job, static_cast<std::uint64_t>(int_field(it->second.job, "ModifyIndex")));
    });
  });
}

Reply job_allocations(SimContext& ctx, const SimRequest& req, const NsKey& key) {
  return query_reply(req, [&state = ctx.state, key] {
    return state.read([&](const Tables& t) {
      json::array out;
      for (const auto& [id, a] : t.allocs) {
        if (a.ns == key.first && a.job_id == key.second) {
          out.push_back(alloc_stub_to_json(a));
        }
      }
      return query_ok(out, t.allocs_index);
    });
  });
}

Reply job_evaluations(SimContext& ctx, const SimRequest& req, const NsKey& key) {
  return query_reply(req, [&state = ctx.state, key] {
    return state.read([&](const Tables& t) {
      std::vector<const Evaluation*> evals;
      for (const auto& [id, e] : t.evals) {
        if (e.ns == key.first && e.job_id == key.second) {
          evals.push_back(&e);
        }
      }
      std::sort(evals.begin(), evals.end(),
                [](const Evaluation* a, const Evaluation* b) { return a->create_index < b->create_index; });
      json::array out;
      for (const Evaluation* e : evals) {
        out.push_back(to_json(*e));
      }
      return query_ok(out, t.evals_index);
    });
  });
}

Reply job_summary_reply(SimContext& ctx, const SimRequest& req, const NsKey& key) {
  return query_reply(req, [&state = ctx.state, key] {
    return state.read([&](const Tables& t) {
      if (t.jobs.count(key) == 0) {
        return query_error(404, "job not found", t.jobs_index);
      }
      return query_ok(job_summary(t, key), t.allocs_index);
    });
  });
}

Reply job_versions(SimContext& ctx, const SimRequest& req, const NsKey& key) {
  return query_reply(req, [&state = ctx.state, key] {
    return state.read([&](const Tables& t) {
      const auto it = t.jobs.find(key);
      if (it == t.jobs.end()) {
        return query_error(404, "job versions not found", t.jobs_index);
      }
      return query_ok(json::object{{"Versions", json::array{it->second.job}}, {"Diffs", nullptr}},
                      static_cast<std::uint64_t>(int_field(it->second.job, "ModifyIndex")));
    });
  });
}

}  // namespace

Reply handle_jobs(SimContext& ctx, const SimRequest& req) {
  if (req.path == "/v1/jobs/parse") {
    if (!is_write(req)) {
      return Reply::of(text_error(405, "Invalid method"));
    }
    return Reply::of(text_error(400, "Failed to parse job: HCL parsing is not simulated by nomad-sim"));
  }
  if (req.method == "GET") {
    return list_jobs(ctx, req);
  }
  if (is_write(req)) {
    return Reply::of(ctx.scheduler.register_job(req, ""));
  }
  return Reply::of(text_error(405, "Invalid method"));
}

Reply handle_job(SimContext& ctx, const SimRequest& req, const std::string& rest) {
  const std::string ns = request_namespace(req);
  struct Suffix {
    std::string_view text;
    Reply (*handler)(SimContext&, const SimRequest&, const NsKey&);
  };
  static constexpr Suffix k_suffixes[] = {
      {"/allocations", job_allocations},
      {"/evaluations", job_evaluations},
      {"/summary", job_summary_reply},
      {"/versions", job_versions},
  };
  if (ends_with(rest, "/dispatch")) {
    if (!is_write(req)) {
      return Reply::of(text_error(405, "Invalid method"));
    }
    return Reply::of(ctx.scheduler.dispatch_job(req, rest.substr(0, rest.size() - 9)));
  }
  for (const auto& s : k_suffixes) {
    if (ends_with(rest, s.text)) {
      if (req.method != "GET") {
        return Reply::of(text_error(405, "Invalid method"));
      }
      return s.handler(ctx, req, {ns, rest.substr(0, rest.size() - s.text.size())});
    }
  }
  if (req.method == "GET") {
    return read_job(ctx, req, {ns, rest});
  }
  if (is_write(req)) {
    return Reply::of(ctx.scheduler.register_job(req, rest));
  }
  if (req.method == "DELETE") {
    return Reply::of(ctx.scheduler.deregister_job(req, rest));
  }
  return Reply::of(text_error(405, "Invalid method"));
}

}  // namespace nbs::nomad_sim
