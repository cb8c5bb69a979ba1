#include "mcpd/http/http_auth.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/text.hpp"

namespace nbs::mcpd {

namespace {

std::string sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
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

}  // namespace nbs::mcpd
