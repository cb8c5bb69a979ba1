// Cluster status: the current leader, used as a readiness probe.
#pragma once

#include <string>

#include "jobs/nomad/client.hpp"

namespace nbs::jobs::nomad {

class StatusApi {
 public:
  explicit StatusApi(Client& client) : client_(client) {}
  // GET /v1/status/leader: "ip:port" of the leader; unavailable when there is none.
  Result<std::string> leader(const QueryOptions& query = {});

 private:
  Client& client_;
};

}  // namespace nbs::jobs::nomad
