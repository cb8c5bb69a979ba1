#include "mcpd/http/host_origin.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>

namespace nbs::mcpd {
namespace asio = boost::asio;

namespace {

std::string lower(std::string_view s) {
  return boost::algorithm::to_lower_copy(std::string(s));
}

Error bad(std::string reason) {
  return make_error(ErrorKind::invalid_argument, std::move(reason));
}

Error bad_host() {
  return bad("has a host that is not a DNS name, an IPv4 address or an IPv6 address in brackets");
}

// RFC 1123 host names, plus '_' (common in internal names). Boost.URL's reg-name also admits
// percent-escapes and sub-delims, which no DNS name has and which would let one name be spelt many ways.
bool is_dns_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.' ||
      name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.';
  });
}

// ":port" after the host: nothing, ":" (RFC 3986 allows an empty port, which means none) or ":" and
// digits up to 65535.
Result<std::optional<std::uint16_t>> port_of(std::string_view rest) {
  if (rest.empty() || rest == ":") {
    return std::optional<std::uint16_t>();
  }
  std::uint32_t n = 0;
  auto [ptr, ec] = std::from_chars(rest.data() + 1, rest.data() + rest.size(), n);
  if (rest.front() != ':' || !std::isdigit(static_cast<unsigned char>(rest[1])) || ec != std::errc() ||
      ptr != rest.data() + rest.size() || n > 65535) {
    return bad("has a port that is not a number from 0 to 65535");
  }
  return std::optional<std::uint16_t>(static_cast<std::uint16_t>(n));
}

// The host of "host[:port]": an IPv6 literal in brackets, a strict IPv4 literal, or a DNS name. Boost.URL
// parses the literals; its authority parser is not used, because Boost 1.81 stops a host at a leading
// IPv4 address: "127.0.0.1.evil.example" fails as an authority, and in a URL becomes host 127.0.0.1 with
// the path ".evil.example".
Result<HostPort> host_of(std::string_view host) {
  HostPort out;
  if (host.starts_with('[') && host.ends_with(']')) {
    auto v6 = boost::urls::parse_ipv6_address(host.substr(1, host.size() - 2));
    if (!v6) {
      return bad_host();
    }
    // Asio's text (inet_ntop) is the canonical form: Boost.URL writes some addresses differently
    // ("::7.0.0.1" for ::700:1), and is_loopback() reads the text back with Asio.
    out.kind = HostPort::Kind::ipv6;
    out.host = asio::ip::address_v6(v6->to_bytes()).to_string();
  } else if (auto v4 = boost::urls::parse_ipv4_address(host)) {
    out.kind = HostPort::Kind::ipv4;
    out.host = asio::ip::address_v4(v4->to_uint()).to_string();
  } else if (is_dns_name(host)) {
    out.host = lower(host);
  } else {
    return bad_host();
  }
  return out;
}

bool same_host(const HostPort& a, const HostPort& b) {
  return a.kind == b.kind && a.host == b.host;
}

bool is_loopback_address(const asio::ip::address& address) {
  if (address.is_v4()) {
    return address.to_v4().is_loopback();
  }
  const auto v6 = address.to_v6();
  return v6.is_loopback() ||
         (v6.is_v4_mapped() && asio::ip::make_address_v4(asio::ip::v4_mapped, v6).is_loopback());
}

}  // namespace

Result<HostPort> parse_host(std::string_view value) {
  if (value.empty()) {
    return bad("is empty");
  }
  if (value.find_first_of("/?#") != std::string_view::npos) {
    return bad("is not host[:port]: it has a scheme, a path or a query");
  }
  if (value.find('@') != std::string_view::npos) {
    return bad("must not carry userinfo ('@')");
  }
  // An IPv6 literal holds colons: the port starts after its closing bracket.
  std::size_t end = value.starts_with('[') ? value.find(']') : value.find(':');
  if (end != std::string_view::npos && value.starts_with('[')) {
    ++end;
  }
  end = std::min(end, value.size());
  auto host = host_of(value.substr(0, end));
  if (!host) {
    return host.error();
  }
  auto port = port_of(value.substr(end));
  if (!port) {
    return port.error();
  }
  host->port = *port;
  return host;
}

std::uint16_t Origin::effective_port() const {
  if (host.port) {
    return *host.port;
  }
  return scheme == "http" ? 80 : scheme == "https" ? 443 : 0;
}

Result<Origin> parse_origin(std::string_view value) {
  if (value == "null") {
    return bad("is the opaque origin 'null'");
  }
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1)
  auto separator = value.find("://");
  std::string_view scheme = value.substr(0, separator);
  if (separator == std::string_view::npos || scheme.empty() ||
      !std::isalpha(static_cast<unsigned char>(scheme.front())) ||
      !std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '+' || c == '-' || c == '.';
      })) {
    return bad("is not scheme://host[:port]");
  }
  std::string_view authority = value.substr(separator + 3);
  if (authority.find_first_of("/?#") != std::string_view::npos) {
    return bad("must not have a path, a query or a fragment");
  }
  auto host = parse_host(authority);
  if (!host) {
    return host.error();
  }
  return Origin{lower(scheme), std::move(*host)};
}

bool is_loopback(const HostPort& host) {
  if (host.kind == HostPort::Kind::name) {
    return host.host == "localhost";
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host.host, ec);
  return !ec && is_loopback_address(address);
}

bool is_loopback_host(std::string_view host) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(std::string(host), ec);
  if (!ec) {
    return is_loopback_address(address);
  }
  auto parsed = parse_host(host);
  return parsed && is_loopback(*parsed);
}

bool host_allowed(std::string_view host_header, const std::vector<std::string>& allowed_hosts,
                  bool bound_to_loopback) {
  auto host = parse_host(host_header);
  if (!host) {
    return false;
  }
  if (!allowed_hosts.empty()) {
    return std::any_of(allowed_hosts.begin(), allowed_hosts.end(), [&](const std::string& entry) {
      auto allowed = parse_host(entry);
      return allowed && same_host(*allowed, *host);
    });
  }
  return !bound_to_loopback || is_loopback(*host);
}

bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed_origins) {
  auto parsed = parse_origin(origin);
  if (!parsed) {
    return false;
  }
  if (!allowed_origins.empty()) {
    return std::any_of(allowed_origins.begin(), allowed_origins.end(), [&](const std::string& entry) {
      auto allowed = parse_origin(entry);
      return allowed && allowed->scheme == parsed->scheme && same_host(allowed->host, parsed->host) &&
             allowed->effective_port() == parsed->effective_port();
    });
  }
  return (parsed->scheme == "http" || parsed->scheme == "https") && is_loopback(parsed->host);
}

std::string origin_host(std::string_view origin) {
  auto parsed = parse_origin(origin);
  return parsed ? parsed->host.host : std::string(origin);
}

Status check_allow_lists(const std::vector<std::string>& allowed_hosts,
                         const std::vector<std::string>& allowed_origins) {
  for (const auto& entry : allowed_hosts) {
    if (auto host = parse_host(entry); !host) {
      return bad("allowed_hosts: '" + entry + "' " + host.error().message);
    }
  }
  for (const auto& entry : allowed_origins) {
    if (auto origin = parse_origin(entry); !origin) {
      return bad("allowed_origins: '" + entry + "' " + origin.error().message +
                 (entry == "null" ? " (every sandboxed page sends it: it cannot be allowed)" : ""));
    }
  }
  return {};
}

}  // namespace nbs::mcpd
