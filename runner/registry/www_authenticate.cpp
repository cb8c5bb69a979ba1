#include "runner/registry/www_authenticate.hpp"

#include <cctype>

#include "common/text.hpp"

namespace nbs::runner::registry {
namespace {

void skip_spaces(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view read_token(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && is_token_char(s[n])) {
    ++n;
  }
  auto token = s.substr(0, n);
  s.remove_prefix(n);
  return token;
}

// A quoted-string with backslash escapes; nullopt when unterminated.
std::optional<std::string> read_quoted(std::string_view& s) {
  std::string out;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[++i];
    } else if (s[i] == '"') {
      s.remove_prefix(i + 1);
      return out;
    } else {
      out += s[i];
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Challenge> parse_www_authenticate(std::string_view header) {
  skip_spaces(header);
  Challenge c;
  c.scheme = lower(read_token(header));
  if (c.scheme.empty()) {
    return std::nullopt;
  }
  while (true) {
    skip_spaces(header);
    if (header.empty()) {
      return c;
    }
    auto name = read_token(header);
    skip_spaces(header);
    if (name.empty() || header.empty() || header.front() != '=') {
      // A second challenge ("…, Basic realm=…") or trailing junk: stop at what we have.
      return c.params.empty() && !name.empty() ? std::nullopt : std::optional<Challenge>(c);
    }
    header.remove_prefix(1);
    skip_spaces(header);
    std::string value;
    if (!header.empty() && header.front() == '"') {
      auto quoted = read_quoted(header);
      if (!quoted) {
        return std::nullopt;
      }
      value = *quoted;
    } else {
      value = std::string(read_token(header));
    }
    c.params[lower(name)] = value;
    skip_spaces(header);
    if (!header.empty() && header.front() == ',') {
      header.remove_prefix(1);
    }
  }
}

}  // namespace nbs::runner::registry
