// Where and how to reach Nomad, read from NOMAD_* variables with the conventions of the nomad CLI.
// The environment is passed in as a map (never read from the process), so tests and the daemon's own
// configuration can supply it.
#pragma once

#include <map>
#include <string>

#include "common/error.hpp"
#include "common/http_client.hpp"
#include "common/http_types.hpp"
#include "jobs/nomad/retry.hpp"

namespace nbs::jobs::nomad {

struct Config {
  std::string address = "http://127.0.0.1:4646";  // NOMAD_ADDR
  std::string token;                              // NOMAD_TOKEN, sent as X-Nomad-Token
  std::string namespace_name;                     // NOMAD_NAMESPACE; empty: Nomad's "default"
  std::string region;                             // NOMAD_REGION; empty: the agent's region
  std::string http_auth;                          // NOMAD_HTTP_AUTH "user[:password]", HTTP basic auth
  TlsOptions tls;  // NOMAD_CACERT, NOMAD_CAPATH, NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY,
                   // NOMAD_TLS_SERVER_NAME, NOMAD_SKIP_VERIFY
  HttpTimeouts timeouts;
  RetryPolicy retry;
};

using EnvMap = std::map<std::string, std::string>;

// Defaults overlaid with the NOMAD_* variables of `env` (empty values count as unset). Fails
// (invalid_argument, naming the variable) on an address that is not http(s)://host[:port] or a
// NOMAD_SKIP_VERIFY that is not a boolean.
Result<Config> config_from_env(const EnvMap& env);

}  // namespace nbs::jobs::nomad
