#include "runner/registry/auth_file.hpp"

#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <openssl/evp.h>

#include "common/base64.hpp"

namespace nbs::runner::registry {
namespace {

namespace json = boost::json;

Result<RegistryCredential> parse_entry(const json::value& v, const std::string& where) {
  if (!v.is_object()) {
    return make_error(ErrorKind::invalid_argument, where + ": must be an object");
  }
  RegistryCredential c;
  const auto& o = v.as_object();
  if (const auto* auth = o.if_contains("auth");
      auth != nullptr && auth->is_string() && !auth->as_string().empty()) {
    auto decoded = base64_decode(auth->as_string());
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos) {
      return make_error(ErrorKind::invalid_argument, where + ".auth: must be base64 of user:password");
    }
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  }
  if (const auto* token = o.if_contains("identitytoken"); token != nullptr && token->is_string()) {
    c.identity_token = std::string(token->as_string());
  }
  return c;
}

}  // namespace

std::string normalise_auth_key(std::string_view key) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (key.substr(0, scheme.size()) == scheme) {
      key.remove_prefix(scheme.size());
    }
  }
  std::string out(key);
  for (std::string_view suffix : {"/v1/", "/v2/", "/v1", "/v2"}) {
    if (out.size() > suffix.size() && out.ends_with(suffix)) {
      out.resize(out.size() - suffix.size());
    }
  }
  while (!out.empty() && out.back() == '/') {
    out.pop_back();
  }
  return out;
}

Result<AuthFile> AuthFile::parse(std::string_view text, std::string_view origin) {
  std::string prefix(origin);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) {
    return make_error(ErrorKind::invalid_argument, prefix + ": not a JSON object");
  }
  AuthFile file;
  const auto* auths = v.as_object().if_contains("auths");
  if (auths == nullptr) {
    return file;
  }
  if (!auths->is_object()) {
    return make_error(ErrorKind::invalid_argument, prefix + ": auths: must be an object");
  }
  for (const auto& [key, entry] : auths->as_object()) {
    auto c = parse_entry(entry, prefix + ": auths." + std::string(key));
    if (!c) {
      return c.error();
    }
    if (const auto* auth = entry.as_object().if_contains("auth"); auth != nullptr && auth->is_string()) {
      file.encoded_.emplace_back(auth->as_string());
    }
    file.entries_[normalise_auth_key(key)] = std::move(*c);
  }
  return file;
}

Result<AuthFile> AuthFile::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorKind::invalid_argument, "credentials.registry_auth_file: cannot read " + path);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return parse(s.str(), path);
}

std::optional<RegistryCredential> AuthFile::find(std::string_view host, std::string_view repository) const {
  std::string path(host);
  if (!repository.empty()) {
    path += "/" + std::string(repository);
  }
  // Longest prefix on a path boundary first: host/a/b, host/a, host.
  while (true) {
    if (auto it = entries_.find(path); it != entries_.end()) {
      return it->second;
    }
    auto slash = path.rfind('/');
    if (slash == std::string::npos || path.size() <= host.size()) {
      break;
    }
    path.resize(slash);
  }
  return std::nullopt;
}

std::vector<std::string> AuthFile::secrets() const {
  std::vector<std::string> out = encoded_;
  for (const auto& [key, c] : entries_) {
    if (!c.password.empty()) {
      out.push_back(c.password);
    }
    if (!c.identity_token.empty()) {
      out.push_back(c.identity_token);
    }
  }
  return out;
}

}  // namespace nbs::runner::registry
