// Fuzzes the Host and Origin parsers (mcpd/http/host_origin) with the input as a header value.
// Checks: no crash; an accepted Host or Origin is canonical (lower case, addresses in their canonical
// text form) and parses back to itself from its serialization; it is allowed by an allow-list holding
// exactly itself; the default checks agree with is_loopback, which holds only for "localhost" and real
// loopback address literals; a value that does not parse is never allowed, whatever the list.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

#include "mcpd/http/host_origin.hpp"

namespace {
using namespace nbs::mcpd;

// Aborts (a libFuzzer crash) naming the failed check's line.
void check(bool ok, int line = __builtin_LINE()) {
  if (!ok) {
    std::fprintf(stderr, "host_origin_fuzzer: check at line %d failed\n", line);
    std::abort();
  }
}

std::string serialize(const HostPort& host) {
  std::string out = host.kind == HostPort::Kind::ipv6 ? "[" + host.host + "]" : host.host;
  if (host.port) {
    out += ":" + std::to_string(*host.port);
  }
  return out;
}

// Loopback by a second route: the name, or an address literal that Asio classifies as loopback.
bool loopback_by_asio(const HostPort& host) {
  if (host.kind == HostPort::Kind::name) {
    return host.host == "localhost";
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host.host, ec);
  check(!ec && address.to_string() == host.host);
  if (address.is_v4()) {
    return address.to_v4().is_loopback();
  }
  auto v6 = address.to_v6();
  return v6.is_loopback() || (v6.is_v4_mapped() &&
                              boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).is_loopback());
}

void check_canonical(const HostPort& host) {
  check(!host.host.empty());
  for (char c : host.host) {
    check(!(c >= 'A' && c <= 'Z'));
    check(c != '@' && c != '/' && c != '%' && c != ' ' && c != '[');
  }
  check(is_loopback(host) == loopback_by_asio(host));
}

void fuzz_host(std::string_view value) {
  const std::vector<std::string> self{std::string(value)};
  auto host = parse_host(value);
  if (!host) {
    check(!host_allowed(value, {}, false) && !host_allowed(value, {}, true));
    check(!host_allowed(value, self, true));
    return;
  }
  check_canonical(*host);
  auto again = parse_host(serialize(*host));
  check(again && *again == *host);
  check(host_allowed(value, self, true));
  check(host_allowed(value, {}, false));
  check(host_allowed(value, {}, true) == is_loopback(*host));
  check(is_loopback_host(value) == is_loopback(*host));
}

void fuzz_origin(std::string_view value) {
  const std::vector<std::string> self{std::string(value)};
  (void)origin_host(value);
  auto origin = parse_origin(value);
  if (!origin) {
    check(!origin_allowed(value, {}));
    check(!origin_allowed(value, self));
    check(!origin_allowed(value, {"http://localhost"}));
    return;
  }
  check(!origin->scheme.empty());
  for (char c : origin->scheme) {
    check(!(c >= 'A' && c <= 'Z'));
  }
  check_canonical(origin->host);
  auto again = parse_origin(origin->scheme + "://" + serialize(origin->host));
  check(again && again->scheme == origin->scheme && again->host == origin->host);
  check(origin_allowed(value, self));
  check(origin_allowed(value, {}) ==
        ((origin->scheme == "http" || origin->scheme == "https") && is_loopback(origin->host)));
  check(origin_host(value) == origin->host.host);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  fuzz_host(value);
  fuzz_origin(value);
  return 0;
}
