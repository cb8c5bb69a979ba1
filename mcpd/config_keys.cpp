// The key table of the daemon's configuration and the value parsers it uses.
#include <algorithm>
#include <charconv>

#include "common/grammar.hpp"
#include "mcpd/config.hpp"

namespace nbs::mcpd {

namespace {

// Joins pieces with append (GCC 12 reports a false -Warray-bounds on chains of operator+).
std::string cat(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (auto p : pieces) {
    out.append(p);
  }
  return out;
}

// "max_body_bytes" → "NBS_MAX_BODY_BYTES".
std::string env_name(const std::string& key) {
  std::string env = "NBS_" + key;
  for (auto& ch : env) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return env;
}

std::string_view last(const std::vector<std::string>& values) {
  if (values.empty()) {
    return {};
  }
  return values.back();
}

Result<std::uint64_t> parse_uint(std::string_view key, std::string_view text, std::uint64_t min,
                                 std::uint64_t max) {
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return make_error(ErrorKind::invalid_argument, cat({key, ": expected a whole number, got '", text, "'"}));
  }
  if (n < min || n > max) {
    return make_error(ErrorKind::invalid_argument,
                      cat({key, ": must be between ", std::to_string(min), " and ", std::to_string(max),
                           ", got ", std::to_string(n)}));
  }
  return n;
}

// "250ms", "15s", "2m", "1h"; a bare number means seconds.
Result<std::chrono::milliseconds> parse_duration(std::string_view key, std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  std::string_view unit = text.substr(digits);
  auto n = parse_uint(key, text.substr(0, digits), 0, 1'000'000'000);
  if (!n || digits == 0) {
    return make_error(ErrorKind::invalid_argument,
                      cat({key, ": expected a duration such as 250ms, 15s, 2m or 1h, got '", text, "'"}));
  }
  std::uint64_t factor = unit == "ms"                    ? 1
                         : (unit.empty() || unit == "s") ? 1000
                         : unit == "m"                   ? 60'000
                         : unit == "h"                   ? 3'600'000
                                                         : 0;
  if (factor == 0) {
    return make_error(ErrorKind::invalid_argument,
                      cat({key, ": unknown duration unit '", unit, "' (use ms, s, m or h)"}));
  }
  return std::chrono::milliseconds(*n * factor);
}

Result<bool> parse_bool(std::string_view key, std::string_view text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    return true;
  }
  if (text == "false" || text == "0" || text == "no" || text == "off") {
    return false;
  }
  return make_error(ErrorKind::invalid_argument, cat({key, ": expected true or false, got '", text, "'"}));
}

std::string show_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0) {
    return std::to_string(ms / 1000) + "s";
  }
  return std::to_string(ms) + "ms";
}

std::string show_list(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const auto& v : values) {
    if (out.size() > 1) {
      out += ", ";
    }
    out += v;
  }
  return out + "]";
}

ConfigKey string_key(std::string key, std::string flag, std::vector<std::string> envs, std::string help,
                     std::string Config::*member) {
  return ConfigKey{std::move(key),
                   std::move(flag),
                   std::move(envs),
                   std::move(help),
                   ConfigKey::Kind::scalar,
                   [member](Config& c, const std::vector<std::string>& v) -> Status {
                     c.*member = std::string(last(v));
                     return {};
                   },
                   [member](const Config& c) { return c.*member; }};
}

// A string key whose value must be one of `choices`; the error lists them.
ConfigKey choice_key(const std::string& key, std::string flag, std::string help, std::string Config::*member,
                     const std::vector<std::string>& choices) {
  std::string env = env_name(key);
  return ConfigKey{key,
                   std::move(flag),
                   {env},
                   std::move(help),
                   ConfigKey::Kind::scalar,
                   [key, member, choices](Config& c, const std::vector<std::string>& v) -> Status {
                     const std::string value(last(v));
                     if (std::find(choices.begin(), choices.end(), value) == choices.end()) {
                       std::string allowed;
                       for (const auto& choice : choices) {
                         allowed += (allowed.empty() ? "" : ", ") + choice;
                       }
                       return make_error(ErrorKind::invalid_argument,
                                         cat({key, ": expected one of ", allowed, ", got '", value, "'"}));
                     }
                     c.*member = value;
                     return {};
                   },
                   [member](const Config& c) { return c.*member; }};
}

ConfigKey list_key(std::string key, std::string flag, std::vector<std::string> envs, std::string help,
                   std::vector<std::string> Config::*member) {
  return ConfigKey{std::move(key),
                   std::move(flag),
                   std::move(envs),
                   std::move(help),
                   ConfigKey::Kind::list,
                   [member](Config& c, const std::vector<std::string>& v) -> Status {
                     c.*member = v;
                     return {};
                   },
                   [member](const Config& c) { return show_list(c.*member); }};
}

ConfigKey size_key(const std::string& key, std::string flag, std::string help, std::size_t Config::*member,
                   std::uint64_t min, std::uint64_t max) {
  std::string env = env_name(key);
  return ConfigKey{key,
                   std::move(flag),
                   {env},
                   std::move(help),
                   ConfigKey::Kind::scalar,
                   [key, member, min, max](Config& c, const std::vector<std::string>& v) -> Status {
                     auto n = parse_uint(key, last(v), min, max);
                     if (!n) {
                       return n.error();
                     }
                     c.*member = static_cast<std::size_t>(*n);
                     return {};
                   },
                   [member](const Config& c) { return std::to_string(c.*member); }};
}

// `min`: the shortest value that makes sense (a period of 0 would be a busy loop).
ConfigKey duration_key(const std::string& key, std::string flag, std::string help,
                       std::chrono::milliseconds Config::*member, std::chrono::milliseconds min = {}) {
  std::string env = env_name(key);
  return ConfigKey{key,
                   std::move(flag),
                   {env},
                   std::move(help),
                   ConfigKey::Kind::scalar,
                   [key, member, min](Config& c, const std::vector<std::string>& v) -> Status {
                     auto d = parse_duration(key, last(v));
                     if (!d) {
                       return d.error();
                     }
                     if (*d < min) {
                       return make_error(
                           ErrorKind::invalid_argument,
                           cat({key, ": must be at least ", show_duration(min), ", got '", last(v), "'"}));
                     }
                     c.*member = *d;
                     return {};
                   },
                   [member](const Config& c) { return show_duration(c.*member); }};
}

Status apply_listen(Config& c, const std::vector<std::string>& v) {
  std::string text(last(v));
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return make_error(ErrorKind::invalid_argument, cat({"listen: expected HOST:PORT, got '", text, "'"}));
  }
  auto port = parse_uint("listen", std::string_view(text).substr(colon + 1), 0, 65535);
  if (!port) {
    return make_error(ErrorKind::invalid_argument,
                      cat({"listen: expected HOST:PORT with a port 0-65535, got '", text, "'"}));
  }
  c.listen = text;
  return {};
}

std::vector<ConfigKey> make_keys() {
  std::vector<ConfigKey> keys;
  keys.push_back(ConfigKey{"listen",
                           "--listen",
                           {"NBS_LISTEN"},
                           "HTTP address HOST:PORT (IP address; 127.0.0.1 by default, port 0 picks one)",
                           ConfigKey::Kind::scalar,
                           apply_listen,
                           [](const Config& c) { return c.listen; }});
  keys.push_back(ConfigKey{"stdio",
                           "--stdio",
                           {"NBS_STDIO"},
                           "serve MCP on stdin/stdout instead of HTTP",
                           ConfigKey::Kind::switch_,
                           [](Config& c, const std::vector<std::string>& v) -> Status {
                             auto b = parse_bool("stdio", last(v));
                             if (!b) {
                               return b.error();
                             }
                             c.stdio = *b;
                             return {};
                           },
                           [](const Config& c) { return std::string(c.stdio ? "true" : "false"); }});
  keys.push_back(string_key("state_dir", "--state-dir", {"NBS_STATE_DIR"},
                            "state directory of the local executor (no Nomad)", &Config::state_dir));
  keys.push_back(string_key("nomad_addr", "--nomad-addr", {"NBS_NOMAD_ADDR", "NOMAD_ADDR"},
                            "Nomad HTTP API address, e.g. http://127.0.0.1:4646 (Nomad executor)",
                            &Config::nomad_addr));
  keys.push_back(string_key("nomad_token_file", "--nomad-token-file", {"NBS_NOMAD_TOKEN_FILE"},
                            "file holding the Nomad ACL token (default: the NOMAD_TOKEN variable)",
                            &Config::nomad_token_file));
  keys.push_back(
      string_key("nomad_namespace", "--nomad-namespace", {"NBS_NOMAD_NAMESPACE", "NOMAD_NAMESPACE"},
                 "Nomad namespace of the phase jobs (default: default)", &Config::nomad_namespace));
  keys.push_back(string_key("nomad_region", "--nomad-region", {"NBS_NOMAD_REGION", "NOMAD_REGION"},
                            "Nomad region (default: the agent's)", &Config::nomad_region));
  keys.push_back(string_key("nomad_ca_cert", "--nomad-ca-cert", {"NBS_NOMAD_CA_CERT", "NOMAD_CACERT"},
                            "CA certificate (PEM) that signed the Nomad API's TLS certificate",
                            &Config::nomad_ca_cert));
  keys.push_back(string_key("nomad_client_cert", "--nomad-client-cert",
                            {"NBS_NOMAD_CLIENT_CERT", "NOMAD_CLIENT_CERT"},
                            "client certificate (PEM) for Nomad's mutual TLS", &Config::nomad_client_cert));
  keys.push_back(string_key("nomad_client_key", "--nomad-client-key",
                            {"NBS_NOMAD_CLIENT_KEY", "NOMAD_CLIENT_KEY"},
                            "client key (PEM) for Nomad's mutual TLS", &Config::nomad_client_key));
  keys.push_back(string_key("runner_path", "--runner", {"NBS_RUNNER"},
                            "the nbs-runner binary of the local executor (default: next to nbs-mcpd)",
                            &Config::runner_path));
  keys.push_back(string_key("task_supervisor_path", "--task-supervisor", {"NBS_TASK_SUPERVISOR"},
                            "the nbs-task-supervisor binary that starts the local executor's tasks "
                            "(default: next to nbs-mcpd)",
                            &Config::task_supervisor_path));
  keys.push_back(string_key("build_user", "--build-user", {"NBS_BUILD_USER"},
                            "unprivileged user that runs Buildah and test containers when the daemon is root",
                            &Config::build_user));
  keys.push_back(string_key("cache_dir", "--cache-dir", {"NBS_CACHE_DIR"},
                            "Git mirrors and Buildah layer storage (default: <state_dir>/cache)",
                            &Config::cache_dir));
  keys.push_back(choice_key("storage_driver", "--storage-driver", "Buildah storage driver: overlay or vfs",
                            &Config::storage_driver, {"overlay", "vfs"}));
  keys.push_back(
      string_key("registries_conf", "--registries-conf", {"NBS_REGISTRIES_CONF"},
                 "containers registries.conf for Buildah, podman and publish (e.g. insecure registries)",
                 &Config::registries_conf));
  keys.push_back(string_key("registry_auth_file", "--registry-auth-file", {"NBS_REGISTRY_AUTH_FILE"},
                            "containers auth.json with credentials for the registries jobs push to",
                            &Config::registry_auth_file));
  keys.push_back(ConfigKey{"build_cache_repository",
                           "--build-cache-repository",
                           {"NBS_BUILD_CACHE_REPOSITORY"},
                           "host[:port]/path: every build's shared layer cache is <this>/<image path> "
                           "(--cache-from/--cache-to); empty: only jobs with `cache` get one",
                           ConfigKey::Kind::scalar,
                           [](Config& c, const std::vector<std::string>& v) -> Status {
                             const std::string value(last(v));
                             if (auto reason =
                                     value.empty() ? std::nullopt : grammar::cache_repository(value)) {
                               return make_error(ErrorKind::invalid_argument,
                                                 cat({"build_cache_repository: '", value, "' ", *reason}));
                             }
                             c.build_cache_repository = value;
                             return {};
                           },
                           [](const Config& c) { return c.build_cache_repository; }});
  keys.push_back(string_key("signature_store", "--signature-store", {"NBS_SIGNATURE_STORE"},
                            "directory where the signatures of jobs with `sign` go (a registries.d lookaside "
                            "store; on Nomad the same path on every client); empty: `sign` is refused",
                            &Config::signature_store));
  keys.push_back(size_key("max_running_tasks", "--max-running-tasks",
                          "local executor: tasks running at once, the rest wait (0: the number of cores)",
                          &Config::max_running_tasks, 0, 4096));
  keys.push_back(size_key("task_nice", "--task-nice",
                          "local executor: niceness of the tasks (builds, tests) so that the daemon keeps "
                          "answering while they take the CPU; 0 to 19",
                          &Config::task_nice, 0, 19));
  keys.push_back(size_key("history_limit", "--history-limit",
                          "finished jobs kept; cleanup all removes older ones", &Config::history_limit, 1,
                          10'000'000));
  keys.push_back(duration_key("replica_resync", "--replica-resync",
                              "how often the job records are read for jobs other replicas accepted "
                              "(this one then drives them too) and for history",
                              &Config::replica_resync, std::chrono::milliseconds(100)));
  keys.push_back(duration_key("placement_timeout", "--placement-timeout",
                              "a phase that has not started running after this long fails",
                              &Config::placement_timeout));
  keys.push_back(duration_key("stop_grace", "--stop-grace",
                              "a stopped phase gets SIGTERM, then SIGKILL after this long",
                              &Config::stop_grace));
  keys.push_back(list_key("nomad_datacenters", "--nomad-datacenter", {"NBS_NOMAD_DATACENTERS"},
                          "datacenters of the phase jobs (repeatable; default: all)",
                          &Config::nomad_datacenters));
  keys.push_back(string_key("nomad_node_pool", "--nomad-node-pool", {"NBS_NOMAD_NODE_POOL"},
                            "node pool of the phase jobs (default: default)", &Config::nomad_node_pool));
  keys.push_back(choice_key("nomad_runner_driver", "--nomad-runner-driver",
                            "task driver of build and publish tasks: exec, raw_exec, docker or podman",
                            &Config::nomad_runner_driver, {"exec", "raw_exec", "docker", "podman"}));
  keys.push_back(string_key("nomad_runner_path", "--nomad-runner-path", {"NBS_NOMAD_RUNNER_PATH"},
                            "nbs-runner on the Nomad nodes (or inside nomad_runner_image)",
                            &Config::nomad_runner_path));
  keys.push_back(string_key("nomad_runner_image", "--nomad-runner-image", {"NBS_NOMAD_RUNNER_IMAGE"},
                            "runner image for the docker and podman runner drivers",
                            &Config::nomad_runner_image));
  keys.push_back(choice_key("nomad_test_driver", "--nomad-test-driver",
                            "task driver that runs the built image for tests: docker or podman",
                            &Config::nomad_test_driver, {"docker", "podman"}));
  keys.push_back(string_key("nomad_cache_volume", "--nomad-cache-volume", {"NBS_NOMAD_CACHE_VOLUME"},
                            "the nodes' host volume holding the cache (mounted at cache_dir)",
                            &Config::nomad_cache_volume));
  keys.push_back(
      ConfigKey{"webhook_allow_private",
                "--webhook-allow-private",
                {"NBS_WEBHOOK_ALLOW_PRIVATE"},
                "let webhooks reach loopback, link-local and private addresses",
                ConfigKey::Kind::switch_,
                [](Config& c, const std::vector<std::string>& v) -> Status {
                  auto b = parse_bool("webhook_allow_private", last(v));
                  if (!b) {
                    return b.error();
                  }
                  c.webhook_allow_private = *b;
                  return {};
                },
                [](const Config& c) { return std::string(c.webhook_allow_private ? "true" : "false"); }});
  keys.push_back(list_key("allow_file_repos", "--allow-file-repos", {"NBS_ALLOW_FILE_REPOS"},
                          "directory whose file:// repositories jobs may build (repeatable; default: none)",
                          &Config::allow_file_repos));
  keys.push_back(
      string_key("build_secrets_dir", "--build-secrets-dir", {"NBS_BUILD_SECRETS_DIR"},
                 "local executor: directory of the files jobs' build.secrets and build.ssh may name "
                 "as file:<name> (default: none)",
                 &Config::build_secrets_dir));
  keys.push_back(string_key("token_file", "--token-file", {"NBS_TOKEN_FILE"},
                            "file of bearer tokens ('<principal> <token>' per line); required off loopback",
                            &Config::token_file));
  keys.push_back(list_key("allowed_origins", "--allowed-origin", {"NBS_ALLOWED_ORIGINS"},
                          "allowed Origin (repeatable; env: comma-separated); default: loopback origins",
                          &Config::allowed_origins));
  keys.push_back(list_key("allowed_hosts", "--allowed-host", {"NBS_ALLOWED_HOSTS"},
                          "allowed Host names (repeatable); default: loopback names when bound to loopback",
                          &Config::allowed_hosts));
  keys.push_back(string_key("tls_cert", "--tls-cert", {"NBS_TLS_CERT"}, "TLS certificate chain (PEM)",
                            &Config::tls_cert));
  keys.push_back(
      string_key("tls_key", "--tls-key", {"NBS_TLS_KEY"}, "TLS private key (PEM)", &Config::tls_key));
  keys.push_back(size_key("max_body_bytes", "--max-body-bytes", "largest request body accepted (413 above)",
                          &Config::max_body_bytes, 1024, 1ULL << 30));
  keys.push_back(size_key("header_limit_bytes", "--header-limit-bytes",
                          "largest request header accepted (431 above)", &Config::header_limit_bytes, 1024,
                          1 << 20));
  keys.push_back(duration_key("header_timeout", "--header-timeout",
                              "time to receive a request header (and idle keep-alive)",
                              &Config::header_timeout));
  keys.push_back(duration_key("body_timeout", "--body-timeout", "time to receive a request body",
                              &Config::body_timeout));
  keys.push_back(duration_key("write_timeout", "--write-timeout", "time to write one response or event",
                              &Config::write_timeout));
  keys.push_back(duration_key("heartbeat_interval", "--heartbeat-interval", "SSE keep-alive comment interval",
                              &Config::heartbeat_interval));
  keys.push_back(duration_key("shutdown_grace", "--shutdown-grace",
                              "how long shutdown waits for in-flight requests", &Config::shutdown_grace));
  keys.push_back(duration_key("session_ttl", "--session-ttl", "idle lifetime of a legacy MCP session",
                              &Config::session_ttl));
  keys.push_back(size_key("max_sessions", "--max-sessions",
                          "legacy MCP sessions kept (when full, the client holding the most loses one)",
                          &Config::max_sessions, 1, 10'000'000));
  keys.push_back(size_key("max_sessions_per_client", "--max-sessions-per-client",
                          "legacy MCP sessions per principal (per address without tokens); its least "
                          "recently used is evicted",
                          &Config::max_sessions_per_client, 1, 10'000'000));
  keys.push_back(size_key("max_connections", "--max-connections", "concurrent HTTP connections",
                          &Config::max_connections, 1, 1'000'000));
  keys.push_back(size_key("max_connections_per_address", "--max-connections-per-address",
                          "concurrent HTTP connections per client address (IPv6: per /64); 0: no cap",
                          &Config::max_connections_per_address, 0, 1'000'000));
  keys.push_back(size_key("max_connections_per_principal", "--max-connections-per-principal",
                          "concurrent HTTP connections per principal (with token_file); 0: no cap",
                          &Config::max_connections_per_principal, 0, 1'000'000));
  keys.push_back(
      size_key("submit_rate", "--submit-rate",
               "submitJob calls a minute per client (principal, or address without tokens); 0: no limit",
               &Config::submit_rate, 0, 1'000'000));
  keys.push_back(size_key("submit_burst", "--submit-burst",
                          "submitJob calls a client may make at once before submit_rate applies",
                          &Config::submit_burst, 1, 1'000'000));
  keys.push_back(ConfigKey{"threads",
                           "--threads",
                           {"NBS_THREADS"},
                           "I/O threads",
                           ConfigKey::Kind::scalar,
                           [](Config& c, const std::vector<std::string>& v) -> Status {
                             auto n = parse_uint("threads", last(v), 1, 256);
                             if (!n) {
                               return n.error();
                             }
                             c.threads = static_cast<unsigned>(*n);
                             return {};
                           },
                           [](const Config& c) { return std::to_string(c.threads); }});
  keys.push_back(choice_key("log_level", "--log-level", "trace, debug, info, warn, error or off",
                            &Config::log_level, {"trace", "debug", "info", "warn", "error", "off"}));
  return keys;
}

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> k_keys = make_keys();
  return k_keys;
}

}  // namespace nbs::mcpd
