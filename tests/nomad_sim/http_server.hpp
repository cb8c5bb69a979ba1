// The HTTP(S) front end: Boost.Beast coroutines, one strand per connection, timeouts on reads and
// writes, real blocking queries, chunked log streams, and the refuse-connections fault.
#pragma once

#include <functional>
#include <string>

#include "tests/nomad_sim/router.hpp"

namespace nbs::nomad_sim {

// Listens on config.listen (port 0 picks a free port), calls `on_listening` with the bound
// "host:port", and serves until SIGINT or SIGTERM. Returns the process exit code; errors (bad
// address, TLS files) are printed to stderr.
int run_server(SimContext& ctx, const std::function<void(const std::string&)>& on_listening);

}  // namespace nbs::nomad_sim
