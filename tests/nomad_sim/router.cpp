#include "tests/nomad_sim/router.hpp"

#include <array>
#include <string_view>

namespace nbs::nomad_sim {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

constexpr std::array<std::string_view, 7> k_job_suffixes = {
    "/allocations", "/evaluations", "/summary", "/versions", "/dispatch", "/submission", "/deployments"};

// Endpoints real Nomad serves without a token.
bool anonymous(std::string_view path) {
  return path == "/v1/agent/health" || path == "/v1/status/leader" || path == "/v1/status/peers" ||
         path == "/v1/regions";
}

}  // namespace

std::string route_label(const std::string& method, const std::string& path) {
  std::string_view p = path;
  std::string label;
  if (starts_with(p, "/v1/job/")) {
    label = "/v1/job/:id";
    for (std::string_view s : k_job_suffixes) {
      if (p.size() > s.size() && p.substr(p.size() - s.size()) == s) {
        label += s;
        break;
      }
    }
  } else if (starts_with(p, "/v1/allocation/")) {
    label =
        p.size() > 5 && p.substr(p.size() - 5) == "/stop" ? "/v1/allocation/:id/stop" : "/v1/allocation/:id";
  } else if (starts_with(p, "/v1/evaluation/")) {
    label = p.find("/allocations") != std::string_view::npos ? "/v1/evaluation/:id/allocations"
                                                             : "/v1/evaluation/:id";
  } else if (starts_with(p, "/v1/var/")) {
    label = "/v1/var/:path";
  } else if (starts_with(p, "/v1/client/fs/")) {
    const auto slash = p.find('/', 14);
    label = std::string(p.substr(0, slash)) + (slash == std::string_view::npos ? "" : "/:alloc");
  } else {
    label = path;
  }
  return method + " " + label;
}

Reply route_request(SimContext& ctx, const SimRequest& req) {
  const std::string& path = req.path;
  if (starts_with(path, "/sim/")) {
    return handle_sim(ctx, req);
  }
  ctx.stats.count(route_label(req.method, path));
  if (auto injected = ctx.faults.error_response()) {
    return Reply::of(std::move(*injected));
  }
  if (!ctx.config.acl_token.empty() && !anonymous(path) && req.token != ctx.config.acl_token) {
    return Reply::of(text_error(403, "Permission denied"));
  }
  if (path == "/v1/jobs" || path == "/v1/jobs/parse") {
    return handle_jobs(ctx, req);
  }
  if (starts_with(path, "/v1/job/") && path.size() > 8) {
    return handle_job(ctx, req, path.substr(8));
  }
  if (starts_with(path, "/v1/allocation") || starts_with(path, "/v1/evaluation")) {
    return handle_allocs(ctx, req);
  }
  if (starts_with(path, "/v1/var/") || path == "/v1/vars") {
    return handle_vars(ctx, req);
  }
  if (starts_with(path, "/v1/client/fs/")) {
    return handle_fs(ctx, req);
  }
  return handle_misc(ctx, req);
}

}  // namespace nbs::nomad_sim
