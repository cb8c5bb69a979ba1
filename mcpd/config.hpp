// The daemon's configuration: one key table (key, flag, environment variable, parser, help, default)
// applied in order 1. defaults, 2. the YAML file of --config, 3. NBS_* environment, 4. command-line
// flags. Every value remembers its origin; every error names the key and the origin.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "mcpd/http/http_context.hpp"

namespace nbs::mcpd {

struct Config {
  std::string listen = "127.0.0.1:8080";
  bool stdio = false;
  std::string state_dir;
  std::string nomad_addr;
  // How to reach Nomad beyond its address; each falls back to the nomad CLI's NOMAD_* variable.
  std::string nomad_token_file;
  std::string nomad_namespace;
  std::string nomad_region;
  std::string nomad_ca_cert;
  std::string nomad_client_cert;
  std::string nomad_client_key;
  // Where and as whom phases run (see mcpd/build_service.hpp for the defaults of empty values).
  std::string runner_path;           // "": nbs-runner next to nbs-mcpd
  std::string task_supervisor_path;  // "": nbs-task-supervisor next to nbs-mcpd
  std::string build_user = "build";  // local tasks run as this user when the daemon is root
  std::string cache_dir;             // "": <state_dir>/cache (local); the node's host volume path (Nomad)
  std::string storage_driver = "overlay";
  std::string registries_conf;     // containers registries.conf for Buildah, podman and the registry client
  std::string registry_auth_file;  // containers auth.json for the registries jobs push to
  // host[:port]/path: every job's shared layer cache is <this>/<image path> unless it names another
  // place under its own image path; "": only jobs with `cache` get one.
  std::string build_cache_repository;
  // A directory: the lookaside store where publish writes the signatures of jobs with `sign` (consumers
  // read it through registries.d); "": `sign` is refused at submit.
  std::string signature_store;
  std::size_t max_running_tasks = 0;  // local executor; 0: the number of cores
  std::size_t task_nice = 10;         // local executor: the tasks' niceness (0 to 19)
  std::size_t history_limit = 1000;
  // How often the job records are read for what other replicas accepted, finished or trimmed.
  std::chrono::milliseconds replica_resync{60'000};
  std::chrono::milliseconds placement_timeout{600'000};
  std::chrono::milliseconds stop_grace{30'000};  // a stopped phase gets SIGTERM, then SIGKILL after this
  // The Nomad executor's phase jobs (jobs/specs/spec_config.hpp says what each means).
  std::vector<std::string> nomad_datacenters;
  std::string nomad_node_pool;
  std::string nomad_runner_driver = "exec";
  std::string nomad_runner_path = "/usr/local/bin/nbs-runner";
  std::string nomad_runner_image;
  std::string nomad_test_driver = "docker";
  std::string nomad_cache_volume = "nbs-cache";
  bool webhook_allow_private = false;         // let webhooks reach loopback and private addresses
  std::vector<std::string> allow_file_repos;  // file:// repositories only from under these; none by default
  std::string
      build_secrets_dir;  // local executor: the files build.secrets/build.ssh may name ("file:<name>")
  std::string token_file;
  std::vector<std::string> allowed_origins;
  std::vector<std::string> allowed_hosts;
  std::string tls_cert;
  std::string tls_key;
  std::size_t max_body_bytes = std::size_t{4} * 1024 * 1024;
  std::size_t header_limit_bytes = std::size_t{16} * 1024;
  std::chrono::milliseconds header_timeout{15'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds heartbeat_interval{15'000};
  std::chrono::milliseconds shutdown_grace{10'000};
  std::chrono::milliseconds session_ttl{3'600'000};
  std::size_t max_sessions = 10'000;
  std::size_t max_sessions_per_client = 100;  // per principal, or per address without tokens
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_address = 64;  // 0: no cap
  std::size_t max_connections_per_principal = 128;
  // Per-client rate limit on submitJob (by principal, or by address without tokens): a token bucket
  // refilling submit_rate a minute up to submit_burst. 0 turns it off.
  std::size_t submit_rate = 60;
  std::size_t submit_burst = 20;
  unsigned threads = 2;
  std::string log_level = "info";

  // key → where its value came from: "default", "<file>:<line>", "NBS_LISTEN", "--listen".
  std::map<std::string, std::string> origins;

  // HOST and PORT of `listen` (validated by the loader).
  std::string listen_host() const;
  unsigned short listen_port() const;
};

// One configuration key. `apply` parses raw values (a list key may get several) into the Config.
struct ConfigKey {
  std::string key;   // YAML key, also shown by --print-config
  std::string flag;  // command-line flag, e.g. "--listen"
  std::vector<std::string>
      envs;  // environment variables, the first wins, e.g. {"NBS_NOMAD_ADDR","NOMAD_ADDR"}
  std::string help;
  enum class Kind { scalar, list, switch_ } kind = Kind::scalar;
  std::function<Status(Config&, const std::vector<std::string>& values)> apply;
  std::function<std::string(const Config&)> show;
};

const std::vector<ConfigKey>& config_keys();

// Environment lookup (getenv in the daemon, a map in tests).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The outcome of reading the command line: a config to run with, or something to print and exit with
// (--help, --version, --print-config, or a usage error).
struct ConfigLoad {
  Config config;
  std::optional<int> exit_code;  // set: print `output` and exit
  std::string output;
};

// Loads and validates. Errors (invalid_argument) read like "nbs.yaml:3: listen: expected HOST:PORT,
// got 'x'" or "NBS_MAX_BODY_BYTES: max_body_bytes: ...".
Result<ConfigLoad> load_config(int argc, const char* const* argv, const EnvLookup& env);

// Cross-key checks (TLS pair, token file required off loopback, ...).
Status validate_config(const Config& config);

// "key: value  # origin" for every key, in table order.
std::string print_config(const Config& config);

// The HTTP options the config describes.
HttpOptions http_options(const Config& config);

}  // namespace nbs::mcpd
