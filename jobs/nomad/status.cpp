#include "jobs/nomad/status.hpp"

#include "jobs/nomad/json_fields.hpp"

namespace nbs::jobs::nomad {

Result<std::string> StatusApi::leader(const QueryOptions& query) {
  auto reply = client_.read("/v1/status/leader", query);
  if (!reply) {
    return reply.error();
  }
  auto v = fields::parse_body(reply->body, "nomad: status/leader");
  if (!v) {
    return v.error();
  }
  if (!v->is_string() || v->as_string().empty()) {
    return make_error(ErrorKind::unavailable, "nomad: no cluster leader");
  }
  return std::string(v->as_string());
}

}  // namespace nbs::jobs::nomad
