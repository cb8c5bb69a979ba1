// The Host and Origin request headers as the DNS-rebinding and cross-site checks see them. Both are
// parsed strictly with Boost.URL (RFC 9110 §7.2: Host = uri-host [":" port]; RFC 6454: Origin = scheme
// "://" host [":" port]) and compared exactly: a name never matches by prefix, and an address is an
// address only as a real literal (no "127.1" shorthand, no octal or hex forms).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace nbs::mcpd {

// One host and its optional port.
struct HostPort {
  enum class Kind { name, ipv4, ipv6 };
  Kind kind = Kind::name;
  std::string host;  // lower case; an address in its canonical text form, IPv6 without brackets
  std::optional<std::uint16_t> port;

  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// A Host header value: a DNS name (letters, digits, '-' and '_' in non-empty labels separated by dots,
// no trailing dot), an IPv4 literal, or an IPv6 literal in brackets, then an optional ":port". Fails
// (invalid_argument, saying what is wrong) for anything else: userinfo, a path, a query, percent-escapes,
// a zone id, a port above 65535.
Result<HostPort> parse_host(std::string_view value);

struct Origin {
  std::string scheme;  // lower case
  HostPort host;

  // The explicit port, else the scheme's default (http 80, https 443), else 0.
  std::uint16_t effective_port() const;
};

// An Origin header value: scheme "://" host [":" port] and nothing else (no path, not even "/"). Fails for
// anything else, including the opaque origin "null", which sandboxed frames, file: and data: pages all
// send, so it identifies no one.
Result<Origin> parse_origin(std::string_view value);

// The name "localhost" (not its subdomains: resolvers outside browsers may send them to DNS), an IPv4
// address in 127.0.0.0/8, ::1, and the IPv4-mapped ::ffff:127.0.0.0/104.
bool is_loopback(const HostPort& host);

// For a listen address: a bare IP address (IPv6 without brackets) or a Host value. False if neither.
bool is_loopback_host(std::string_view host);

// Host header check. With an allow-list, the host (port ignored) must equal one of its entries; without
// one, a daemon bound to loopback accepts only loopback hosts and any other bind any well-formed host.
bool host_allowed(std::string_view host_header, const std::vector<std::string>& allowed_hosts,
                  bool bound_to_loopback);

// Origin check (for a request that has an Origin). With an allow-list, scheme, host and effective port
// must equal one entry's; without one, the origin must be http or https on a loopback host.
bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed_origins);

// What an error message names for a refused Origin: its host, or the whole value if it does not parse.
std::string origin_host(std::string_view origin);

// Checks allowed_hosts and allowed_origins once at start-up, naming the first bad entry and why.
Status check_allow_lists(const std::vector<std::string>& allowed_hosts,
                         const std::vector<std::string>& allowed_origins);

}  // namespace nbs::mcpd
