#include "jobs/nomad/config.hpp"

#include "common/http_url.hpp"

namespace nbs::jobs::nomad {
namespace {

const std::string* lookup(const EnvMap& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() || it->second.empty() ? nullptr : &it->second;
}

void take(const EnvMap& env, const std::string& name, std::string& out) {
  if (const auto* v = lookup(env, name)) {
    out = *v;
  }
}

// The spellings Go's strconv.ParseBool accepts, as the CLI does.
std::optional<bool> parse_go_bool(const std::string& text) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (text == t) {
      return true;
    }
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (text == f) {
      return false;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<Config> config_from_env(const EnvMap& env) {
  Config c;
  take(env, "NOMAD_ADDR", c.address);
  while (!c.address.empty() && c.address.back() == '/') {
    c.address.pop_back();
  }
  auto target = parse_http_url(c.address);
  if (!target || target->target != "/") {
    return make_error(ErrorKind::invalid_argument,
                      "NOMAD_ADDR: expected http(s)://host[:port], got \"" + c.address + "\"");
  }
  take(env, "NOMAD_TOKEN", c.token);
  take(env, "NOMAD_NAMESPACE", c.namespace_name);
  take(env, "NOMAD_REGION", c.region);
  take(env, "NOMAD_HTTP_AUTH", c.http_auth);
  take(env, "NOMAD_CACERT", c.tls.ca_file);
  take(env, "NOMAD_CAPATH", c.tls.ca_path);
  take(env, "NOMAD_CLIENT_CERT", c.tls.client_cert);
  take(env, "NOMAD_CLIENT_KEY", c.tls.client_key);
  take(env, "NOMAD_TLS_SERVER_NAME", c.tls.server_name);
  if (const auto* skip = lookup(env, "NOMAD_SKIP_VERIFY")) {
    auto value = parse_go_bool(*skip);
    if (!value) {
      return make_error(ErrorKind::invalid_argument, "NOMAD_SKIP_VERIFY: not a boolean: \"" + *skip + "\"");
    }
    c.tls.verify = *value ? TlsVerify::none : TlsVerify::peer;
  }
  return c;
}

}  // namespace nbs::jobs::nomad
