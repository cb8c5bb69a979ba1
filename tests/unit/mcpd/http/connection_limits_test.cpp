// The connection caps without sockets: pool, per address (IPv6 by /64), per principal, the reserve for
// health checks, and slots given back by tickets.
#include "mcpd/http/connection_limits.hpp"

#include <vector>

#include <gtest/gtest.h>

#include "mcpd/mcp/client_key.hpp"

namespace nbs::mcpd {
namespace {

boost::asio::ip::address ip(const char* text) {
  return boost::asio::ip::make_address(text);
}

TEST(ClientKey, GroupsIpv6ByItsSlash64) {
  EXPECT_EQ(address_key(ip("10.0.0.1")), "10.0.0.1");
  EXPECT_EQ(address_key(ip("::ffff:10.0.0.1")), "10.0.0.1");
  EXPECT_EQ(address_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key(ip("2001:db8:1:2:bbbb::9")), "2001:db8:1:2::/64");
  EXPECT_EQ(address_key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
  EXPECT_EQ(address_key("stdio"), "stdio");
  EXPECT_EQ(client_key("alice", "10.0.0.1"), "principal alice");
  EXPECT_EQ(client_key("", "10.0.0.1"), "address 10.0.0.1");
}

TEST(ConnectionLimits, AnAddressGetsItsShareThenTheReserveThenNothing) {
  ConnectionLimits limits(ConnectionCaps{10, 3, 0, 4, 2});
  std::vector<std::unique_ptr<ConnectionTicket>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(limits.admit(ip("10.0.0.1")));
    ASSERT_TRUE(held.back());
    EXPECT_FALSE(held.back()->limited());
  }
  for (int i = 0; i < 2; ++i) {
    held.push_back(limits.admit(ip("10.0.0.1")));
    ASSERT_TRUE(held.back());
    ASSERT_TRUE(held.back()->limited());
    EXPECT_EQ(held.back()->limited()->kind, ErrorKind::rate_limited);
    EXPECT_EQ(held.back()->limited()->message,
              "connections: 10.0.0.1 already has 3 open connections, the limit per address "
              "(max_connections_per_address)");
  }
  EXPECT_FALSE(limits.admit(ip("10.0.0.1")));  // its share of the reserve is taken too
  // Another host of the same /64 is the same client; another address is not.
  ConnectionLimits v6(ConnectionCaps{10, 1, 0, 0, 0});
  auto first = v6.admit(ip("2001:db8::1"));
  EXPECT_FALSE(v6.admit(ip("2001:db8::2")));
  auto other = v6.admit(ip("2001:db8:0:1::1"));
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->limited());
  auto elsewhere = limits.admit(ip("10.0.0.2"));
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(elsewhere->limited());
  // A ticket gives its slot back.
  held.erase(held.begin());
  auto again = limits.admit(ip("10.0.0.1"));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->limited());
}

TEST(ConnectionLimits, AFullPoolLeavesOnlyTheReserve) {
  ConnectionLimits limits(ConnectionCaps{2, 0, 0, 3, 2});
  auto a = limits.admit(ip("10.0.0.1"));
  auto b = limits.admit(ip("10.0.0.2"));
  auto c = limits.admit(ip("10.0.0.3"));
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->limited());
  EXPECT_EQ(c->limited()->kind, ErrorKind::unavailable);
  EXPECT_EQ(
      c->limited()->message,
      "connections: all 2 connections are in use (max_connections); only /health, /ready and /metrics are "
      "served");
  auto d = limits.admit(ip("10.0.0.4"));
  auto e = limits.admit(ip("10.0.0.5"));
  ASSERT_TRUE(d && e);
  EXPECT_FALSE(limits.admit(ip("10.0.0.6")));  // the reserve of 3 is taken
  c.reset();
  EXPECT_TRUE(limits.admit(ip("10.0.0.6")));
}

TEST(ConnectionLimits, APrincipalHoldsItsShareWhereverItComesFrom) {
  ConnectionLimits limits(ConnectionCaps{10, 0, 2, 0, 0});
  auto a = limits.admit(ip("10.0.0.1"));
  auto b = limits.admit(ip("10.0.0.2"));
  auto c = limits.admit(ip("10.0.0.3"));
  EXPECT_TRUE(a->claim("alice"));
  EXPECT_TRUE(b->claim("alice"));
  EXPECT_TRUE(b->claim("alice"));  // the same connection again counts once
  auto refused = c->claim("alice");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::rate_limited);
  EXPECT_EQ(refused.error().message,
            "connections: principal 'alice' already has 2 open connections, the limit per principal "
            "(max_connections_per_principal)");
  EXPECT_TRUE(c->claim("bob"));
  // A connection whose token changes moves from one principal to the other.
  EXPECT_TRUE(b->claim("bob"));
  EXPECT_FALSE(a->claim("bob"));
  auto d = limits.admit(ip("10.0.0.4"));
  EXPECT_TRUE(d->claim("alice"));
  b.reset();
  EXPECT_TRUE(a->claim("bob"));
}

}  // namespace
}  // namespace nbs::mcpd
