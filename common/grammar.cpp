#include "common/grammar.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <boost/url/parse.hpp>

#include "common/build_secrets.hpp"
#include "common/image_labels.hpp"
#include "common/text.hpp"

namespace nbs::grammar {

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Length of the UTF-8 sequence starting at s[i], or 0 if it is not well formed.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) {
      return 0;
    }
  }
  return n;
}

Reason text(std::string_view s, bool newlines) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n' && !newlines) {
      return "must be a single line (contains a newline)";
    }
    if (c == 0) {
      return "must not contain a NUL character";
    }
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
      return "must not contain control characters";
    }
    const std::size_t n = utf8_length(s, i);
    if (n == 0) {
      return "must be valid UTF-8";
    }
    i += n;
  }
  return std::nullopt;
}

// Every character satisfies `ok`, and the length is within [1, max].
template <class Pred>
bool all_of(std::string_view s, std::size_t max, Pred ok) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), ok);
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

}  // namespace

Reason single_line(std::string_view s) {
  return text(s, false);
}
Reason multi_line(std::string_view s) {
  return text(s, true);
}

Reason owner(std::string_view s) {
  auto ok = [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '@' || c == '+' || c == '-'; };
  if (s.empty() || !is_alnum(s[0]) || !all_of(s, 128, ok)) {
    return "must be 1–128 characters of letters, digits and ._@+-, starting with a letter or digit";
  }
  return std::nullopt;
}

Reason repo_url(std::string_view s) {
  if (auto r = single_line(s)) {
    return r;
  }
  if (s.find_first_of(" \t\\") != std::string_view::npos) {
    return "must not contain spaces or backslashes";
  }
  if (s.starts_with("-")) {
    return "must not start with '-'";
  }
  const std::size_t scheme_end = s.find("://");
  if (scheme_end == std::string_view::npos) {
    // scp-like syntax: [user@]host:path
    const std::size_t colon = s.find(':');
    const std::size_t at = s.find('@');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size() ||
        (at != std::string_view::npos && at > colon)) {
      return "must be an https, http, ssh, git or file URL (or user@host:path for ssh)";
    }
    std::string_view user = at == std::string_view::npos ? std::string_view{} : s.substr(0, at);
    std::string_view host = s.substr(at == std::string_view::npos ? 0 : at + 1,
                                     colon - (at == std::string_view::npos ? 0 : at + 1));
    if (user.find(':') != std::string_view::npos) {
      return "must not embed a password; give credentials with git_credentials_path";
    }
    if (host.starts_with("-") || user.starts_with("-")) {
      return "must not have a user or host starting with '-' (ssh would read it as an option)";
    }
    if (host.empty() || registry_host(host)) {
      return "has an invalid host " + quoted(host);
    }
    return std::nullopt;
  }
  auto url = boost::urls::parse_uri(s);
  if (!url) {
    return "is not a valid URL";
  }
  const std::string scheme = url->scheme();
  static constexpr std::array<std::string_view, 5> k_schemes{"https", "http", "ssh", "git", "file"};
  if (std::find(k_schemes.begin(), k_schemes.end(), scheme) == k_schemes.end()) {
    return "has scheme " + quoted(scheme) + "; use https, http, ssh, git or file";
  }
  if (url->has_password() || ((scheme == "https" || scheme == "http") && url->has_userinfo())) {
    return "must not embed credentials; give them with git_credentials_path";
  }
  if (scheme != "file" && url->encoded_host().empty()) {
    return "must name a host";
  }
  if (url->encoded_host().starts_with("-") || url->encoded_user().starts_with("-")) {
    return "must not have a user or host starting with '-' (ssh would read it as an option)";
  }
  if (url->encoded_path().empty() || url->encoded_path() == "/") {
    return "must name a repository path";
  }
  if (url->has_fragment()) {
    return "must not have a #fragment";
  }
  return std::nullopt;
}

Reason git_ref(std::string_view s) {
  if (s.empty()) {
    return "must not be empty";
  }
  if (s.size() > 255) {
    return "must be at most 255 characters";
  }
  if (s.size() >= 7 && s.size() <= 40 && std::all_of(s.begin(), s.end(), is_hex)) {
    return std::nullopt;  // a commit id
  }
  if (auto r = single_line(s)) {
    return r;
  }
  if (s.front() == '-') {
    return "must not start with '-'";
  }
  if (s == "@" || s.find("@{") != std::string_view::npos) {
    return "must not be '@' or contain '@{'";
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 ||
        std::string_view(" ~^:?*[\\\x7f").find(c) != std::string_view::npos) {
      return "must not contain spaces or any of ~ ^ : ? * [ \\";
    }
  }
  if (s.front() == '/' || s.back() == '/' || s.back() == '.' || s.find("//") != std::string_view::npos) {
    return "must not start or end with '/', end with '.', or contain '//'";
  }
  if (s.find("..") != std::string_view::npos) {
    return "must not contain '..'";
  }
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find('/', start);
    if (end == std::string_view::npos) {
      end = s.size();
    }
    const std::string_view component = s.substr(start, end - start);
    if (component.starts_with(".") || component.ends_with(".lock")) {
      return "has a component that starts with '.' or ends with '.lock'";
    }
    start = end + 1;
  }
  return std::nullopt;
}

Reason relative_path(std::string_view s) {
  if (s.empty()) {
    return "must not be empty";
  }
  if (s.size() > 4096) {
    return "must be at most 4096 characters";
  }
  if (auto r = single_line(s)) {
    return r;
  }
  if (s.front() == '/') {
    return "must be relative to the repository root, not absolute";
  }
  if (s.front() == '-') {
    return "must not start with '-'";
  }
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find('/', start);
    if (end == std::string_view::npos) {
      end = s.size();
    }
    if (s.substr(start, end - start) == "..") {
      return "must stay inside the repository (no '..' component)";
    }
    start = end + 1;
  }
  return std::nullopt;
}

Reason vault_path(std::string_view s) {
  auto ok = [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-' || c == '/'; };
  if (!all_of(s, 512, ok) || s.front() == '/' || s.back() == '/' || s.find("//") != std::string_view::npos) {
    return "must be a Vault path: segments of letters, digits and _.- separated by '/', at most 512 "
           "characters";
  }
  if (relative_path(s)) {
    return "must not contain a '..' segment";
  }
  return std::nullopt;
}

Reason vault_field(std::string_view s) {
  if (!all_of(s, 128, [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; })) {
    return "must be 1–128 characters of letters, digits and _.-";
  }
  return std::nullopt;
}

Reason env_name(std::string_view s) {
  auto ok = [](char c) { return is_alnum(c) || c == '_'; };
  if (!all_of(s, 256, ok) || std::isdigit(static_cast<unsigned char>(s[0]))) {
    return "must be a name of letters, digits and '_' not starting with a digit (at most 256)";
  }
  return std::nullopt;
}

Reason secret_build_arg_name(std::string_view s) {
  if (auto reason = env_name(s)) {
    return reason;
  }
  // What Buildah, its Go runtime and the containers libraries take from their environment, and what
  // Buildah passes on into every RUN (proxies): a secret of that name would change the build.
  constexpr std::string_view k_exact =
      " PATH HOME TMPDIR LANG LANGUAGE TZ USER LOGNAME SHELL TERM GOGC GODEBUG GOMAXPROCS GOMEMLIMIT "
      "GOTRACEBACK DOCKER_CONFIG SSH_AUTH_SOCK STORAGE_DRIVER STORAGE_OPTS REGISTRY_AUTH_FILE "
      "BUILD_REGISTRY_SOURCES ";
  static constexpr std::array<std::string_view, 5> k_prefixes{"_", "LC_", "XDG_", "BUILDAH_", "CONTAINERS_"};
  std::string upper(s);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  const bool reserved =
      k_exact.find(" " + upper + " ") != std::string_view::npos ||
      std::any_of(k_prefixes.begin(), k_prefixes.end(), [&](auto p) { return upper.starts_with(p); }) ||
      upper.ends_with("_PROXY");
  if (reserved) {
    return "names a variable Buildah reads from its own environment (it gets a secret value that way); "
           "rename the build arg";
  }
  return std::nullopt;
}

Reason image_tag(std::string_view s) {
  auto ok = [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; };
  if (!all_of(s, 128, ok) || s[0] == '.' || s[0] == '-') {
    return "must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
  }
  return std::nullopt;
}

Reason repository_path(std::string_view s) {
  Reason bad =
      "must be lower-case path components of [a-z0-9] joined by '/', each separated inside by "
      "'.', '_', '__' or dashes (OCI distribution grammar)";
  if (s.empty() || s.size() > 255) {
    return s.empty() ? bad : Reason("must be at most 255 characters");
  }
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find('/', start);
    if (end == std::string_view::npos) {
      end = s.size();
    }
    const std::string_view c = s.substr(start, end - start);
    if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) {
      return bad;
    }
    for (std::size_t i = 0; i < c.size();) {
      if (is_lower_alnum(c[i])) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < c.size() && !is_lower_alnum(c[j])) {
        ++j;
      }
      const std::string_view sep = c.substr(i, j - i);
      const bool dashes = std::all_of(sep.begin(), sep.end(), [](char x) { return x == '-'; });
      if (!(sep == "." || sep == "_" || sep == "__" || dashes)) {
        return bad;
      }
      i = j;
    }
    start = end + 1;
  }
  return std::nullopt;
}

Reason registry_host(std::string_view s) {
  Reason bad = "must be a host name, IPv4 address or [IPv6] address, with an optional :port";
  if (s.empty() || s.size() > 255) {
    return bad;
  }
  std::string_view host = s;
  std::string_view port;
  if (s.front() == '[') {
    const std::size_t close = s.find(']');
    if (close == std::string_view::npos) {
      return bad;
    }
    const std::string_view inside = s.substr(1, close - 1);
    if (inside.empty() || !std::all_of(inside.begin(), inside.end(),
                                       [](char c) { return is_hex(c) || c == ':' || c == '.'; })) {
      return bad;
    }
    host = {};
    const std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return bad;
      }
      port = rest.substr(1);
      if (port.empty()) {
        return bad;
      }
    }
  } else if (const std::size_t colon = s.rfind(':'); colon != std::string_view::npos) {
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (port.empty()) {
      return bad;
    }
  }
  if (!port.empty() && (port.size() > 5 ||
                        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
                        std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535)) {
    return "has an invalid port (1–65535)";
  }
  std::size_t start = 0;
  while (!host.empty() && start <= host.size()) {
    std::size_t end = host.find('.', start);
    if (end == std::string_view::npos) {
      end = host.size();
    }
    const std::string_view label = host.substr(start, end - start);
    if (label.empty() || label.size() > 63 || !is_alnum(label.front()) || !is_alnum(label.back()) ||
        !std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; })) {
      return bad;
    }
    start = end + 1;
  }
  return std::nullopt;
}

Reason registry_url(std::string_view s) {
  if (s.find("://") != std::string_view::npos) {
    return "must not include a scheme; give host[:port][/path], e.g. registry.example.com:5000/team";
  }
  const std::size_t slash = s.find('/');
  if (auto r = registry_host(s.substr(0, slash))) {
    return "has an invalid host: " + *r;
  }
  if (slash != std::string_view::npos) {
    if (auto r = repository_path(s.substr(slash + 1))) {
      return "has an invalid repository path: " + *r;
    }
  }
  return std::nullopt;
}

Reason cache_repository(std::string_view s) {
  const std::size_t slash = s.find('/');
  const std::string_view path = slash == std::string_view::npos ? std::string_view() : s.substr(slash + 1);
  if (path.find_first_of(":@") != std::string_view::npos) {
    return "must be a repository without a tag or digest (Buildah tags each cached layer itself)";
  }
  if (auto r = registry_url(s)) {
    return r;
  }
  if (path.empty()) {
    return "must name a repository, host[:port]/path, e.g. registry.example.com/team/app/cache";
  }
  return std::nullopt;
}

Reason build_target(std::string_view s) {
  auto ok = [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; };
  if (!all_of(s, 128, ok) || !is_alnum(s[0])) {
    return "must be a stage name of letters, digits and _.- (at most 128), starting with a letter or digit";
  }
  return std::nullopt;
}

Reason build_secret_id(std::string_view s) {
  auto ok = [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; };
  if (!all_of(s, 64, ok) || !is_alnum(s[0])) {
    return "must be an id of letters, digits and _.- (at most 64), starting with a letter or digit";
  }
  return std::nullopt;
}

Reason build_secret_source(std::string_view s) {
  if (!parse_build_secret_source(s)) {
    return "must be file:<name> (a file of the daemon's build secrets directory, local executor) or "
           "vault:<path>#<field> (Nomad), e.g. vault:secret/data/ci/npm#token";
  }
  return std::nullopt;
}

Reason label_key(std::string_view s) {
  auto ok = [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-' || c == '/'; };
  if (!all_of(s, 128, ok) || !is_alnum(s[0])) {
    return "must be a label key of letters, digits and _.-/ (at most 128), starting with a letter or digit, "
           "e.g. org.opencontainers.image.title";
  }
  if (is_provenance_label(s)) {
    return "is set by the service from the job (repo_url, the commit built, the build time): remove it";
  }
  return std::nullopt;
}

Reason platform(std::string_view s) {
  // Buildah builds Linux images only; the architectures and variants are those of the OCI image index
  // specification (Go's GOARCH names), so that a typo is a field error, not a build that pulls nothing.
  static constexpr std::array<std::string_view, 13> k_known{
      "linux/amd64",   "linux/amd64/v2", "linux/amd64/v3", "linux/arm64",   "linux/arm64/v8",
      "linux/arm/v6",  "linux/arm/v7",   "linux/386",      "linux/ppc64le", "linux/s390x",
      "linux/riscv64", "linux/mips64le", "linux/arm"};
  if (std::find(k_known.begin(), k_known.end(), s) != k_known.end()) {
    return std::nullopt;
  }
  return "must be a Linux platform os/arch[/variant]: linux/amd64, linux/arm64, linux/arm/v7, linux/arm/v6, "
         "linux/386, linux/ppc64le, linux/s390x, linux/riscv64 or linux/mips64le (variants amd64/v2, v3, "
         "arm64/v8)";
}

Reason report_path(std::string_view s) {
  Reason bad =
      "must be an absolute path in the test container, without '..', of at most 1024 characters, "
      "e.g. /out/junit.xml";
  if (single_line(s) || s.size() < 2 || s.size() > 1024 || s.front() != '/' ||
      s.find('\0') != std::string_view::npos) {
    return bad;
  }
  for (std::size_t start = 1; start <= s.size();) {
    const std::size_t end = std::min(s.find('/', start), s.size());
    const std::string_view part = s.substr(start, end - start);
    if (part == ".." || part == ".") {
      return bad;
    }
    start = end + 1;
  }
  return std::nullopt;
}

Reason webhook_url(std::string_view s) {
  if (auto r = single_line(s)) {
    return r;
  }
  auto url = boost::urls::parse_uri(s);
  if (!url || s.size() > 2048) {
    return "must be an absolute http or https URL of at most 2048 characters";
  }
  if (url->scheme() != "http" && url->scheme() != "https") {
    return "must use http or https";
  }
  if (url->encoded_host().empty()) {
    return "must name a host";
  }
  if (url->has_userinfo()) {
    return "must not embed credentials; use webhook_secret or webhook_headers";
  }
  return std::nullopt;
}

Reason webhook_header_name(std::string_view s) {
  auto tchar = [](char c) {
    return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  };
  if (!all_of(s, 128, tchar)) {
    return "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)";
  }
  static constexpr std::array<std::string_view, 6> k_reserved{
      "host", "content-length", "content-type", "transfer-encoding", "connection", "x-webhook-signature"};
  if (std::find(k_reserved.begin(), k_reserved.end(), lower(s)) != k_reserved.end()) {
    return "is set by the service itself and cannot be overridden";
  }
  return std::nullopt;
}

Reason constraint_attribute(std::string_view s) {
  Reason bad = "must be a Nomad attribute such as ${attr.kernel.name}, ${node.class} or ${meta.rack}";
  if (!s.starts_with("${") || !s.ends_with("}") || s.size() > 256) {
    return bad;
  }
  const std::string_view inner = s.substr(2, s.size() - 3);
  const bool known_root =
      inner.starts_with("attr.") || inner.starts_with("node.") || inner.starts_with("meta.");
  if (!known_root ||
      !all_of(inner, 250, [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; })) {
    return bad;
  }
  return std::nullopt;
}

Reason constraint_operand(std::string_view s) {
  static constexpr std::array<std::string_view, 15> k_operands{"=",
                                                               "==",
                                                               "!=",
                                                               ">=",
                                                               "<=",
                                                               ">",
                                                               "<",
                                                               "regexp",
                                                               "version",
                                                               "semver",
                                                               "set_contains",
                                                               "set_contains_all",
                                                               "set_contains_any",
                                                               "is_set",
                                                               "is_not_set"};
  if (std::find(k_operands.begin(), k_operands.end(), s) == k_operands.end()) {
    return "must be one of =, !=, >, >=, <, <=, regexp, version, semver, set_contains, set_contains_all, "
           "set_contains_any, is_set, is_not_set";
  }
  return std::nullopt;
}

Result<std::chrono::seconds> parse_duration(std::string_view s) {
  auto bad = [] {
    return make_error(ErrorKind::invalid_argument,
                      "must be a duration such as 90s, 30m, 1h30m, or a whole number of seconds");
  };
  if (s.empty() || s.size() > 32) {
    return bad();
  }
  long long total = 0;
  bool any_unit = false;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
      ++j;
    }
    if (j == i || j - i > 9) {
      return bad();
    }
    const long long n = std::stoll(std::string(s.substr(i, j - i)));
    if (j == s.size()) {
      if (any_unit) {
        return bad();  // "1h30" is ambiguous
      }
      total += n;
      break;
    }
    const char unit = s[j];
    const long long scale = unit == 'h' ? 3600 : unit == 'm' ? 60 : unit == 's' ? 1 : 0;
    if (scale == 0) {
      return bad();
    }
    total += n * scale;
    any_unit = true;
    i = j + 1;
  }
  return std::chrono::seconds(total);
}

std::string format_duration(std::chrono::seconds d) {
  long long s = d.count();
  std::string out;
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s > 0 || out.empty()) {
    out += std::to_string(s) + "s";
  }
  return out;
}

}  // namespace nbs::grammar
