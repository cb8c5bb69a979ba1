// nomad-sim: a Nomad 1.10 HTTP API simulator that runs tasks for real (see README.md).
#include <fstream>
#include <iostream>
#include <signal.h>

#include <CLI/CLI.hpp>

#include "tests/nomad_sim/faults.hpp"
#include "tests/nomad_sim/http_server.hpp"
#include "tests/nomad_sim/router.hpp"
#include "tests/nomad_sim/scheduler.hpp"
#include "tests/nomad_sim/sim_config.hpp"
#include "tests/nomad_sim/state_store.hpp"

namespace {

using nbs::nomad_sim::SimConfig;

// Reads --vault-secrets: a JSON object mapping secret paths to their Data.
bool load_vault_secrets(const std::string& path, SimConfig& config) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  boost::system::error_code ec;
  auto v = boost::json::parse(buf.str(), ec);
  if (!in || ec || !v.is_object()) {
    std::cerr << "nomad-sim: --vault-secrets " << path << ": expected a JSON object of path → secret data\n";
    return false;
  }
  config.vault_secrets = std::move(v.get_object());
  return true;
}

bool parse_host_volumes(const std::vector<std::string>& specs, SimConfig& config) {
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      std::cerr << "nomad-sim: --host-volume: expected NAME=PATH, got " << spec << "\n";
      return false;
    }
    config.host_volumes[spec.substr(0, eq)] = std::filesystem::absolute(spec.substr(eq + 1));
  }
  return true;
}

}  // namespace

// A test tool: an exception it does not expect ends it in std::terminate, which prints the exception and
// aborts, and the test that runs it fails on that.
// NOLINTNEXTLINE(bugprone-exception-escape): terminate is the right end for a test tool, see above
int main(int argc, char** argv) {
  SimConfig config;
  std::string data_dir;
  std::string vault_secrets;
  std::string addr_file;
  std::vector<std::string> host_volumes;
  std::vector<std::string> namespaces;
  CLI::App app{"nomad-sim: a Nomad 1.10 HTTP API simulator that runs tasks as local processes"};
  app.add_option("--listen", config.listen, "HOST:PORT to listen on (port 0 picks a free port)")
      ->capture_default_str();
  app.add_option("--data-dir", data_dir, "directory for alloc dirs and logs")->required();
  app.add_option("--acl-token", config.acl_token,
                 "require this token (X-Nomad-Token or Authorization: Bearer)");
  app.add_option("--tls-cert", config.tls_cert, "serve HTTPS with this certificate chain (PEM)");
  app.add_option("--tls-key", config.tls_key, "private key of --tls-cert (PEM)");
  app.add_option("--tls-ca", config.tls_ca, "require client certificates signed by this CA (mTLS)");
  app.add_option("--host-volume", host_volumes, "host volume NAME=PATH (repeatable)");
  app.add_option("--log-max-size", config.log_max_bytes, "rotate task logs at this many bytes")
      ->capture_default_str();
  app.add_option("--log-max-files", config.log_max_files, "rotation files kept per stream")
      ->capture_default_str();
  app.add_option("--vault-secrets", vault_secrets, "JSON file: secret path → data, for {{ with secret }}");
  app.add_option("--namespace", namespaces, "extra namespace besides default (repeatable)");
  app.add_option("--podman", config.podman, "podman binary for docker/podman tasks")->capture_default_str();
  app.add_option("--region", config.region)->capture_default_str();
  app.add_option("--datacenter", config.datacenter)->capture_default_str();
  app.add_option("--addr-file", addr_file,
                 "also write the bound HOST:PORT here (default <data-dir>/nomad-sim.addr)");
  CLI11_PARSE(app, argc, argv);

  if ((config.tls_cert.empty()) != (config.tls_key.empty())) {
    std::cerr << "nomad-sim: --tls-cert and --tls-key go together\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(data_dir) / "allocs", ec);
  if (ec) {
    std::cerr << "nomad-sim: --data-dir " << data_dir << ": " << ec.message() << "\n";
    return 2;
  }
  config.data_dir = std::filesystem::absolute(data_dir);
  if (!parse_host_volumes(host_volumes, config) ||
      (!vault_secrets.empty() && !load_vault_secrets(vault_secrets, config))) {
    return 2;
  }
  config.namespaces.insert(config.namespaces.end(), namespaces.begin(), namespaces.end());
  if (addr_file.empty()) {
    addr_file = (config.data_dir / "nomad-sim.addr").string();
  }
  ::signal(SIGPIPE, SIG_IGN);

  nbs::nomad_sim::SimState state;
  state.write([&](nbs::nomad_sim::Tables& t) { t.namespaces.insert(namespaces.begin(), namespaces.end()); });
  nbs::nomad_sim::FaultInjector faults;
  nbs::nomad_sim::RequestStats stats;
  nbs::nomad_sim::Scheduler scheduler(state, config, faults);
  nbs::nomad_sim::SimContext ctx{state, scheduler, faults, stats, config};
  const int rc = nbs::nomad_sim::run_server(ctx, [&](const std::string& addr) {
    const std::string tmp = addr_file + ".tmp";
    std::ofstream(tmp) << addr << "\n";
    std::filesystem::rename(tmp, addr_file, ec);
    std::cout << "nomad-sim listening on " << (config.tls_cert.empty() ? "http://" : "https://") << addr
              << std::endl;
  });
  scheduler.shutdown();
  return rc;
}
