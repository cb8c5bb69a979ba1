#include "mcpd/webhooks/target_guard.hpp"

#include <array>
#include <cstdint>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>

namespace nbs::mcpd {

namespace ip = boost::asio::ip;

namespace {

struct Range4 {
  std::uint32_t network;
  int prefix;
  std::string_view reason;
};

// RFC 6890 special-purpose ranges that can reach something other than the public internet.
constexpr std::array<Range4, 11> k_forbidden_v4{{
    {0x00000000, 8, "unspecified"},  // 0.0.0.0/8 "this network"; 0.0.0.0 reaches the local host
    {0x0A000000, 8, "private"},      // 10/8
    {0x64400000, 10, "private"},     // 100.64/10 carrier-grade NAT, often internal in clouds
    {0x7F000000, 8, "loopback"},     // 127/8
    {0xA9FE0000, 16, "link-local"},  // 169.254/16, where cloud metadata services live
    {0xAC100000, 12, "private"},     // 172.16/12
    {0xC0000000, 24, "reserved"},    // 192.0.0/24 IETF protocol assignments
    {0xC0A80000, 16, "private"},     // 192.168/16
    {0xC6120000, 15, "reserved"},    // 198.18/15 benchmarking, used inside some networks
    {0xE0000000, 4, "multicast"},    // 224/4
    {0xF0000000, 4, "reserved"},     // 240/4 and the broadcast address
}};

std::optional<std::string_view> forbidden_v4(std::uint32_t a) {
  for (const auto& range : k_forbidden_v4) {
    const std::uint32_t mask = range.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - range.prefix);
    if ((a & mask) == range.network) {
      return range.reason;
    }
  }
  return std::nullopt;
}

std::uint32_t v4_at(const ip::address_v6::bytes_type& b, std::size_t offset) {
  return std::uint32_t{b[offset]} << 24 | std::uint32_t{b[offset + 1]} << 16 |
         std::uint32_t{b[offset + 2]} << 8 | std::uint32_t{b[offset + 3]};
}

bool all_zero(const ip::address_v6::bytes_type& b, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (b[i] != 0) {
      return false;
    }
  }
  return true;
}

std::optional<std::string_view> forbidden_v6(const ip::address_v6& address) {
  const auto b = address.to_bytes();
  if (address.is_unspecified()) {
    return "unspecified";
  }
  if (address.is_loopback()) {
    return "loopback";
  }
  // Forms that carry an IPv4 address reach that address: mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96)
  // and 6to4 (2002:aabb:ccdd::/48).
  if (address.is_v4_mapped()) {
    return forbidden_v4(v4_at(b, 12));
  }
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && all_zero(b, 4, 12)) {
    return forbidden_v4(v4_at(b, 12));
  }
  if (b[0] == 0x20 && b[1] == 0x02) {
    return forbidden_v4(v4_at(b, 2));
  }
  if (all_zero(b, 0, 12)) {
    return "reserved";  // ::/96, the deprecated IPv4-compatible form
  }
  if (b[0] == 0x01 && all_zero(b, 1, 8)) {
    return "reserved";  // 100::/64 discard-only
  }
  if ((b[0] & 0xfe) == 0xfc) {
    return "private";  // fc00::/7 unique local
  }
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
    return "link-local";  // fe80::/10
  }
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) {
    return "private";  // fec0::/10 site-local (deprecated, still routed inside some sites)
  }
  if (b[0] == 0xff) {
    return "multicast";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> forbidden_reason(const ip::address& address) {
  if (address.is_v4()) {
    return forbidden_v4(address.to_v4().to_uint());
  }
  return forbidden_v6(address.to_v6());
}

Result<WebhookUrl> parse_webhook_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    return make_error(ErrorKind::invalid_argument, "webhook_url: not an absolute URL");
  }
  WebhookUrl out;
  out.url = *parsed;
  out.url.remove_fragment();  // never sent over HTTP, and the client takes absolute URIs only
  if (out.url.scheme_id() == boost::urls::scheme::https) {
    out.tls = true;
  } else if (out.url.scheme_id() != boost::urls::scheme::http) {
    return make_error(ErrorKind::invalid_argument, "webhook_url: only http and https are allowed");
  }
  if (!out.url.has_authority() || out.url.encoded_host().empty()) {
    return make_error(ErrorKind::invalid_argument, "webhook_url: no host");
  }
  if (out.url.has_userinfo()) {
    return make_error(ErrorKind::invalid_argument, "webhook_url: must not embed credentials");
  }
  out.port =
      out.url.has_port() && !out.url.port().empty() ? std::string(out.url.port()) : (out.tls ? "443" : "80");
  switch (out.url.host_type()) {
    case boost::urls::host_type::ipv4:
      out.literal = ip::address_v4(out.url.host_ipv4_address().to_uint());
      out.host = out.literal->to_string();
      break;
    case boost::urls::host_type::ipv6:
      out.literal = ip::address_v6(out.url.host_ipv6_address().to_bytes());
      out.host = out.literal->to_string();
      break;
    case boost::urls::host_type::name:
      out.host = out.url.host_address();
      break;
    default:
      return make_error(ErrorKind::invalid_argument, "webhook_url: unsupported host form");
  }
  return out;
}

Status check_addresses(std::string_view host, const std::vector<ip::address>& addresses,
                       PrivateTargets policy) {
  if (addresses.empty()) {
    return make_error(ErrorKind::unavailable, "webhook_url: " + std::string(host) + " has no address");
  }
  if (policy == PrivateTargets::allow) {
    return {};
  }
  for (const auto& address : addresses) {
    if (auto reason = forbidden_reason(address)) {
      const std::string shown = address.to_string();
      const std::string article = reason->front() == 'u' ? "an " : "a ";
      const std::string what = shown == host ? shown + " is " + article
                                             : std::string(host) + " resolves to " + shown + ", " + article;
      return make_error(
          ErrorKind::invalid_argument,
          "webhook_url: " + what + std::string(*reason) +
              " address; webhooks to private networks are refused unless the daemon allows them");
    }
  }
  return {};
}

}  // namespace nbs::mcpd
