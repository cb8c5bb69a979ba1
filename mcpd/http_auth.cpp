#include "mcpd/http_auth.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace nbs::mcpd {

namespace {

std::string sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// "host:port", "[::1]:port" or "host" → host, lower case, brackets removed.
std::string host_name(std::string_view host_port) {
  host_port = trim(host_port);
  if (host_port.starts_with('[')) {
    auto close = host_port.find(']');
    return lower(host_port.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  auto colon = host_port.rfind(':');
  if (colon != std::string_view::npos && host_port.find(':') == colon) {
    host_port = host_port.substr(0, colon);
  }
  return lower(host_port);
}

}  // namespace

Result<TokenStore> TokenStore::parse(std::string_view text, const std::string& origin) {
  TokenStore store;
  std::istringstream in{std::string(text)};
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line.starts_with('#')) {
      continue;
    }
    std::string principal;
    std::string_view token = line;
    if (auto space = line.find_first_of(" \t"); space != std::string_view::npos) {
      principal = std::string(line.substr(0, space));
      token = trim(line.substr(space));
      if (token.find_first_of(" \t") != std::string_view::npos) {
        return make_error(ErrorKind::invalid_argument, origin + ":" + std::to_string(line_no) +
                                                           ": expected '<principal> <token>' or '<token>'");
      }
    } else {
      principal = "token-" + std::to_string(line_no);
    }
    if (token.size() < 16) {
      return make_error(ErrorKind::invalid_argument, origin + ":" + std::to_string(line_no) +
                                                         ": a token must have at least 16 characters");
    }
    store.entries_.push_back(Entry{std::move(principal), sha256(token)});
  }
  if (store.entries_.empty()) {
    return make_error(ErrorKind::invalid_argument, origin + ": no token in the file");
  }
  return store;
}

Result<TokenStore> TokenStore::load(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    return make_error(ErrorKind::invalid_argument, path + ": cannot read the token file");
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  return parse(buffer.str(), path);
}

std::optional<std::string> TokenStore::authenticate(std::string_view presented) const {
  std::string digest = sha256(presented);
  const Entry* match = nullptr;
  // Visit every entry even after a match so timing does not reveal which one matched.
  for (const auto& entry : entries_) {
    if (CRYPTO_memcmp(entry.digest.data(), digest.data(), digest.size()) == 0) {
      match = &entry;
    }
  }
  if (match == nullptr) {
    return std::nullopt;
  }
  return match->principal;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  authorization = trim(authorization);
  if (authorization.size() < 7 || lower(authorization.substr(0, 7)) != "bearer ") {
    return std::nullopt;
  }
  std::string_view token = trim(authorization.substr(7));
  if (token.empty()) {
    return std::nullopt;
  }
  return token;
}

bool is_loopback_host(std::string_view host) {
  std::string h = host_name(host);
  return h == "localhost" || h == "::1" || h.starts_with("127.");
}

bool host_allowed(std::string_view host_header, const std::vector<std::string>& allowed_hosts,
                  bool bound_to_loopback) {
  std::string name = host_name(host_header);
  if (name.empty()) {
    return false;
  }
  if (!allowed_hosts.empty()) {
    return std::any_of(allowed_hosts.begin(), allowed_hosts.end(),
                       [&](const std::string& allowed) { return host_name(allowed) == name; });
  }
  return !bound_to_loopback || is_loopback_host(name);
}

std::string origin_host(std::string_view origin) {
  auto scheme_end = origin.find("://");
  std::string_view rest = scheme_end == std::string_view::npos ? origin : origin.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('/'));
  return host_name(rest);
}

bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed_origins) {
  origin = trim(origin);
  if (!allowed_origins.empty()) {
    std::string o = lower(origin);
    return std::any_of(allowed_origins.begin(), allowed_origins.end(),
                       [&](const std::string& allowed) { return lower(trim(allowed)) == o; });
  }
  if (!(origin.starts_with("http://") || origin.starts_with("https://"))) {
    return false;  // includes the opaque origin "null"
  }
  return is_loopback_host(origin_host(origin));
}

}  // namespace nbs::mcpd
