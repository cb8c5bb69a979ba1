#include "mcpd/webhooks/target_guard.hpp"

#include <gtest/gtest.h>

namespace nbs::mcpd {
namespace {

namespace ip = boost::asio::ip;

std::string reason_of(const char* text) {
  auto reason = forbidden_reason(ip::make_address(text));
  return reason ? std::string(*reason) : std::string("public");
}

TEST(ForbiddenReason, Ipv4Ranges) {
  EXPECT_EQ(reason_of("127.0.0.1"), "loopback");
  EXPECT_EQ(reason_of("127.255.0.9"), "loopback");
  EXPECT_EQ(reason_of("0.0.0.0"), "unspecified");
  EXPECT_EQ(reason_of("10.1.2.3"), "private");
  EXPECT_EQ(reason_of("172.16.0.1"), "private");
  EXPECT_EQ(reason_of("172.31.255.255"), "private");
  EXPECT_EQ(reason_of("172.32.0.1"), "public");
  EXPECT_EQ(reason_of("192.168.1.1"), "private");
  EXPECT_EQ(reason_of("100.64.0.1"), "private");
  EXPECT_EQ(reason_of("169.254.169.254"), "link-local");
  EXPECT_EQ(reason_of("224.0.0.1"), "multicast");
  EXPECT_EQ(reason_of("239.255.255.250"), "multicast");
  EXPECT_EQ(reason_of("255.255.255.255"), "reserved");
  EXPECT_EQ(reason_of("8.8.8.8"), "public");
  EXPECT_EQ(reason_of("93.184.216.34"), "public");
}

TEST(ForbiddenReason, Ipv6Ranges) {
  EXPECT_EQ(reason_of("::1"), "loopback");
  EXPECT_EQ(reason_of("::"), "unspecified");
  EXPECT_EQ(reason_of("fe80::1"), "link-local");
  EXPECT_EQ(reason_of("fd00::1"), "private");
  EXPECT_EQ(reason_of("fc00::1"), "private");
  EXPECT_EQ(reason_of("fec0::1"), "private");
  EXPECT_EQ(reason_of("ff02::1"), "multicast");
  EXPECT_EQ(reason_of("::127.0.0.1"), "reserved");
  EXPECT_EQ(reason_of("2001:4860:4860::8888"), "public");
}

TEST(ForbiddenReason, EmbeddedIpv4IsJudgedByItsIpv4Address) {
  EXPECT_EQ(reason_of("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(reason_of("::ffff:169.254.169.254"), "link-local");
  EXPECT_EQ(reason_of("::ffff:8.8.8.8"), "public");
  EXPECT_EQ(reason_of("64:ff9b::a00:1"), "private");    // NAT64 of 10.0.0.1
  EXPECT_EQ(reason_of("64:ff9b::808:808"), "public");   // NAT64 of 8.8.8.8
  EXPECT_EQ(reason_of("2002:7f00:1::"), "loopback");    // 6to4 of 127.0.0.1
  EXPECT_EQ(reason_of("2002:0808:0808::1"), "public");  // 6to4 of 8.8.8.8
}

TEST(ParseWebhookUrl, SplitsNameAndLiterals) {
  auto named = parse_webhook_url("https://hooks.example.com/x?y=1");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->host, "hooks.example.com");
  EXPECT_EQ(named->port, "443");
  EXPECT_TRUE(named->tls);
  EXPECT_FALSE(named->literal);

  auto v4 = parse_webhook_url("http://10.0.0.1:8080/hook");
  ASSERT_TRUE(v4);
  ASSERT_TRUE(v4->literal);
  EXPECT_EQ(v4->host, "10.0.0.1");
  EXPECT_EQ(v4->port, "8080");

  auto v6 = parse_webhook_url("http://[::1]/hook");
  ASSERT_TRUE(v6);
  ASSERT_TRUE(v6->literal);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "80");
}

TEST(ParseWebhookUrl, RefusesOtherSchemesAndCredentials) {
  EXPECT_EQ(parse_webhook_url("ftp://example.com/x").error().message,
            "webhook_url: only http and https are allowed");
  EXPECT_EQ(parse_webhook_url("file:///etc/passwd").error().message,
            "webhook_url: only http and https are allowed");
  EXPECT_EQ(parse_webhook_url("http://u:p@example.com/").error().message,
            "webhook_url: must not embed credentials");
  EXPECT_EQ(parse_webhook_url("/relative").error().message, "webhook_url: not an absolute URL");
}

TEST(CheckAddresses, NamesTheHostTheAddressAndWhy) {
  const std::vector<ip::address> mixed{ip::make_address("93.184.216.34"), ip::make_address("127.0.0.1")};
  auto refused = check_addresses("hooks.example.com", mixed, PrivateTargets::refuse);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(refused.error().message,
            "webhook_url: hooks.example.com resolves to 127.0.0.1, a loopback address; webhooks to private "
            "networks are refused unless the daemon allows them");
  auto literal = check_addresses("10.0.0.1", {ip::make_address("10.0.0.1")}, PrivateTargets::refuse);
  ASSERT_FALSE(literal);
  EXPECT_EQ(literal.error().message,
            "webhook_url: 10.0.0.1 is a private address; webhooks to private networks are refused unless the "
            "daemon "
            "allows them");
  EXPECT_TRUE(check_addresses("hooks.example.com", mixed, PrivateTargets::allow));
  EXPECT_TRUE(
      check_addresses("hooks.example.com", {ip::make_address("93.184.216.34")}, PrivateTargets::refuse));
  auto none = check_addresses("hooks.example.com", {}, PrivateTargets::allow);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().kind, ErrorKind::unavailable);
}

}  // namespace
}  // namespace nbs::mcpd
