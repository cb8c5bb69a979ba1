// The SSRF guard of webhook delivery. A webhook URL comes from whoever submits a job, so it must not
// reach the daemon's own network (loopback, link-local metadata services, private ranges) unless the
// operator allows it. The guard checks addresses, not names: the sender resolves the host once, checks
// every address, and connects to a checked address, so a DNS answer that changes between the check and
// the connection (rebinding) cannot slip through.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/url/url.hpp>

#include "common/error.hpp"

namespace nbs::mcpd {

enum class PrivateTargets { refuse, allow };

// Why `address` may not be a webhook target ("loopback", "private", "link-local", "unspecified",
// "multicast", "reserved"); nullopt for a public address. IPv4 embedded in IPv6 (mapped, NAT64, 6to4)
// is judged by its IPv4 address.
std::optional<std::string_view> forbidden_reason(const boost::asio::ip::address& address);

// A webhook URL split into what the guard and the connection need.
struct WebhookUrl {
  boost::urls::url url;
  std::string host;  // a DNS name, or the literal address without brackets
  std::string port;  // explicit, else 80 or 443
  bool tls = false;
  std::optional<boost::asio::ip::address> literal;  // set when the host is an IP address
};

// Fails (invalid_argument, "webhook_url: …") unless `text` is an absolute http or https URL with a
// host and no user info.
Result<WebhookUrl> parse_webhook_url(std::string_view text);

// Every address of `host` must pass unless private targets are allowed; one that does not fails the
// whole target (invalid_argument naming the host, the address and why), because a public name has no
// business resolving into the daemon's network. An empty list is `unavailable` (worth another try).
Status check_addresses(std::string_view host, const std::vector<boost::asio::ip::address>& addresses,
                       PrivateTargets policy);

}  // namespace nbs::mcpd
