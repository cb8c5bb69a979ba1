#include "mcpd/config.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>

#include "mcpd/http/host_origin.hpp"
// yaml-cpp 0.7's node headers trip GCC 12's -Wdangling-pointer false positive (clang has no such warning).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
#include <yaml-cpp/yaml.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <sstream>

namespace nbs::mcpd {

namespace {

Error with_origin(const Error& error, const std::string& origin) {
  Error out = error;
  out.message = origin + ": " + error.message;
  return out;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) {
      out.push_back(item.substr(b, e - b + 1));
    }
  }
  return out;
}

const ConfigKey* find_key(const std::string& key) {
  for (const auto& k : config_keys()) {
    if (k.key == key) {
      return &k;
    }
  }
  return nullptr;
}

Status apply(Config& config, const ConfigKey& key, const std::vector<std::string>& values,
             const std::string& origin) {
  if (auto status = key.apply(config, values); !status) {
    return with_origin(status.error(), origin);
  }
  config.origins[key.key] = origin;
  return {};
}

// 2. The YAML file: a mapping of known keys; scalars, or sequences for list keys.
Status apply_file(Config& config, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return make_error(ErrorKind::invalid_argument, path + ": cannot read the configuration file");
  } catch (const YAML::Exception& e) {
    return make_error(ErrorKind::invalid_argument,
                      path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (root.IsNull()) {
    return {};
  }
  if (!root.IsMap()) {
    return make_error(ErrorKind::invalid_argument, path + ":1: expected a mapping of configuration keys");
  }
  for (const auto& entry : root) {
    // Copies: yaml-cpp's iterator yields a temporary pair, so references into it would dangle.
    const YAML::Node key_node = entry.first;
    const YAML::Node value = entry.second;
    std::string origin = path + ":" + std::to_string(key_node.Mark().line + 1);
    const std::string& name = key_node.Scalar();
    const ConfigKey* key = find_key(name);
    if (key == nullptr) {
      return make_error(ErrorKind::invalid_argument, origin + ": unknown key '" + name + "'");
    }
    std::vector<std::string> values;
    if (value.IsSequence()) {
      if (key->kind != ConfigKey::Kind::list) {
        return make_error(ErrorKind::invalid_argument,
                          origin + ": " + name + ": expected a single value, got a list");
      }
      for (const auto& item : value) {
        if (!item.IsScalar()) {
          return make_error(ErrorKind::invalid_argument,
                            origin + ": " + name + ": list items must be scalars");
        }
        values.push_back(item.Scalar());
      }
    } else if (value.IsScalar()) {
      values.push_back(value.Scalar());
    } else if (value.IsMap()) {
      return make_error(ErrorKind::invalid_argument,
                        origin + ": " + name + ": expected a value, got a mapping");
    }
    if (auto status = apply(config, *key, values, origin); !status) {
      return status;
    }
  }
  return {};
}

// 3. The environment: the first of a key's variables that is set.
Status apply_env(Config& config, const EnvLookup& env) {
  for (const auto& key : config_keys()) {
    for (const auto& name : key.envs) {
      auto value = env(name);
      if (!value) {
        continue;
      }
      std::vector<std::string> values =
          key.kind == ConfigKey::Kind::list ? split_list(*value) : std::vector<std::string>{*value};
      if (auto status = apply(config, key, values, name); !status) {
        return status;
      }
      break;
    }
  }
  return {};
}

}  // namespace

std::string Config::listen_host() const {
  auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

unsigned short Config::listen_port() const {
  return static_cast<unsigned short>(std::stoul(listen.substr(listen.rfind(':') + 1)));
}

Result<ConfigLoad> load_config(int argc, const char* const* argv, const EnvLookup& env) {
  ConfigLoad load;
  Config& config = load.config;
  // 1. Defaults.
  for (const auto& key : config_keys()) {
    config.origins[key.key] = "default";
  }

  CLI::App app{"nbs-mcpd: the Nomad Build Service daemon (MCP over HTTP or stdio, REST mirror, metrics)",
               "nbs-mcpd"};
  // Wide enough for the longest flag (--max-connections-per-principal TEXT) and its help on one line,
  // as tests/deploy/config_doc_test.py reads them.
  app.get_formatter()->column_width(40);
  std::string config_file;
  bool show_version = false;
  bool show_config = false;
  app.add_option("--config", config_file, "YAML configuration file (keys as printed by --print-config)");
  app.add_flag("--version", show_version, "print the version and exit");
  app.add_flag("--print-config", show_config, "print the effective configuration with each value's origin");
  std::map<std::string, std::vector<std::string>> raw;
  std::map<std::string, CLI::Option*> options;
  std::map<std::string, bool> switches;
  for (const auto& key : config_keys()) {
    std::string help = key.help;
    if (!key.envs.empty()) {
      help += " [env " + key.envs.front() + "]";
    }
    if (key.kind == ConfigKey::Kind::switch_) {
      options[key.key] = app.add_flag(key.flag, switches[key.key], help);
    } else {
      auto* option = app.add_option(key.flag, raw[key.key], help)->expected(1);
      option->multi_option_policy(key.kind == ConfigKey::Kind::list ? CLI::MultiOptionPolicy::TakeAll
                                                                    : CLI::MultiOptionPolicy::TakeLast);
      options[key.key] = option;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream out;
    std::ostringstream err;
    load.exit_code = app.exit(e, out, err);
    load.output = out.str() + err.str();
    return load;
  }
  if (show_version) {
    load.exit_code = 0;
    load.output = std::string("nbs-mcpd ") + NBS_VERSION + "\n";
    return load;
  }
  // 2. The file, 3. the environment, 4. the flags.
  if (!config_file.empty()) {
    if (auto status = apply_file(config, config_file); !status) {
      return status.error();
    }
  }
  if (auto status = apply_env(config, env); !status) {
    return status.error();
  }
  for (const auto& key : config_keys()) {
    CLI::Option* option = options[key.key];
    if (option->count() == 0) {
      continue;
    }
    std::vector<std::string> values =
        key.kind == ConfigKey::Kind::switch_ ? std::vector<std::string>{"true"} : raw[key.key];
    if (auto status = apply(config, key, values, key.flag); !status) {
      return status.error();
    }
  }
  if (auto status = validate_config(config); !status) {
    return status.error();
  }
  if (show_config) {
    load.exit_code = 0;
    load.output = print_config(config);
  }
  return load;
}

Status validate_config(const Config& config) {
  auto origin = [&](const std::string& key) {
    auto it = config.origins.find(key);
    return it == config.origins.end() ? std::string("default") : it->second;
  };
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    std::string missing = config.tls_cert.empty() ? "tls_cert" : "tls_key";
    std::string given = config.tls_cert.empty() ? "tls_key" : "tls_cert";
    return make_error(ErrorKind::invalid_argument,
                      missing + ": required together with " + given + " (set by " + origin(given) + ")");
  }
  boost::system::error_code ec;
  boost::asio::ip::make_address(config.listen_host(), ec);
  if (ec) {
    return make_error(ErrorKind::invalid_argument,
                      origin("listen") + ": listen: '" + config.listen_host() + "' is not an IP address");
  }
  if (!config.stdio && !is_loopback_host(config.listen_host()) && config.token_file.empty()) {
    return make_error(ErrorKind::invalid_argument, "token_file: required when listen (" + config.listen +
                                                       ", set by " + origin("listen") +
                                                       ") is not a loopback address");
  }
  return {};
}

std::string print_config(const Config& config) {
  std::string out;
  for (const auto& key : config_keys()) {
    auto it = config.origins.find(key.key);
    out += key.key + ": " + key.show(config) + "  # " +
           (it == config.origins.end() ? "default" : it->second) + "\n";
  }
  return out;
}

HttpOptions http_options(const Config& config) {
  HttpOptions o;
  o.host = config.listen_host();
  o.port = config.listen_port();
  o.max_body_bytes = config.max_body_bytes;
  o.header_limit_bytes = config.header_limit_bytes;
  o.header_timeout = config.header_timeout;
  o.body_timeout = config.body_timeout;
  o.write_timeout = config.write_timeout;
  o.heartbeat_interval = config.heartbeat_interval;
  o.shutdown_grace = config.shutdown_grace;
  o.max_connections = config.max_connections;
  o.max_connections_per_address = config.max_connections_per_address;
  o.max_connections_per_principal = config.max_connections_per_principal;
  o.allowed_origins = config.allowed_origins;
  o.allowed_hosts = config.allowed_hosts;
  o.tls_cert_file = config.tls_cert;
  o.tls_key_file = config.tls_key;
  return o;
}

}  // namespace nbs::mcpd
