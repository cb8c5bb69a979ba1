// The Host and Origin checks against DNS rebinding and cross-site requests: tables of hostile values
// (prefix tricks, IPv4 shorthands, userinfo, paths, malformed ports...) that must be refused, and the
// loopback and allow-listed values that must pass.
#include "mcpd/http/host_origin.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace nbs::mcpd {
namespace {

const std::vector<std::string> k_none;

// Host header values a daemon bound to loopback, without allowed_hosts, must refuse.
const std::vector<std::string> k_hostile_hosts = {
    "127.0.0.1.evil.example",        // a name that starts like a loopback address
    "127.0.0.1.evil.example:8080",   //
    "[::1].evil.example",            // an IPv6 literal followed by a name
    "[::1].evil.example:8080",       //
    "127.0.0.1evil.example",         //
    "127.evil.example",              //
    "localhost.evil.example",        //
    "localhostevil.example",         //
    "LOCALHOST.evil.example",        //
    "evil.example",                  //
    "evil.example:8080",             //
    "evil.localhost",                // *.localhost is not loopback here (an allowed_hosts entry may add it)
    "localhost.",                    // a trailing dot makes another name
    "127.0.0.1.",                    //
    "127.1",                         // inet_aton shorthands are names, not addresses
    "127.0.1",                       //
    "0x7f.0.0.1",                    //
    "0x7f000001",                    //
    "2130706433",                    //
    "0177.0.0.1",                    //
    "127.000.000.001",               //
    "127.0.0.256",                   //
    "127.0.0.1.1",                   //
    "0.0.0.0",                       // reaches local services on Linux, but is not a loopback name
    "0.0.0.0:8080",                  //
    "[::]",                          //
    "[::ffff:10.0.0.1]",             // IPv4-mapped, not loopback
    "[::127.0.0.1]",                 // IPv4-compatible (deprecated), not loopback
    "[::ffff:7f00:1].evil.example",  //
    "evil.example@127.0.0.1",        // userinfo has no place in a Host header
    "127.0.0.1:8080@evil.example",   //
    "127.0.0.1/evil",                // nor a path
    "127.0.0.1:8080/",               //
    "127.0.0.1?x",                   //
    "127.0.0.1#x",                   //
    "127.0.0.1:abc",                 // bad ports
    "127.0.0.1:99999",               //
    "127.0.0.1:-1",                  //
    "127.0.0.1:8080:80",             //
    "[::1]:8080x",                   //
    "127.0.0.1 evil.example",        // lists and spaces
    "127.0.0.1,evil.example",        //
    "127%2e0.0.1",                   // percent-escapes
    "localhost%00.evil.example",     //
    "local%68ost",                   //
    "::1",                           // IPv6 without brackets
    "[::1",                          //
    "::1]",                          //
    "[fe80::1%25lo]",                // zone ids
    "[v1.127.0.0.1]",                // IPvFuture
    "",                              //
    ":8080",                         //
    "http://127.0.0.1",              // a URL is not a Host
};

// Host header values the same daemon must accept.
const std::vector<std::string> k_loopback_hosts = {
    "127.0.0.1",          "127.0.0.1:8080",          "localhost",       "localhost:8080", "LocalHost:8080",
    "127.1.2.3",          "127.255.255.254:1",       "[::1]",           "[::1]:8080",     "[0:0:0:0:0:0:0:1]",
    "[::ffff:127.0.0.1]", "[::ffff:127.0.0.1]:8080", "[::FFFF:7F00:1]", "localhost:",
};

// Origin values the default policy (no allowed_origins) must refuse.
const std::vector<std::string> k_hostile_origins = {
    "http://127.0.0.1.evil.example",
    "http://127.0.0.1.evil.example:8080",
    "http://[::1].evil.example",
    "http://127.0.0.1evil.example",
    "http://localhost.evil.example",
    "https://localhost.evil.example:443",
    "http://evil.example",
    "HTTP://EVIL.EXAMPLE",
    "http://evil.localhost",
    "http://localhost.",
    "null",  // opaque origins: sandboxed frames, data: and file: pages
    "file://",
    "ftp://127.0.0.1",
    "ws://127.0.0.1",
    "chrome-extension://abcdefghijklmnop",
    "javascript://127.0.0.1",
    "http://127.1",
    "http://0x7f.0.0.1",
    "http://2130706433",
    "http://0.0.0.0:8080",
    "http://[::]:8080",
    "http://[::ffff:10.0.0.1]",
    "http://evil.example@127.0.0.1",
    "http://127.0.0.1@evil.example",
    "http://127.0.0.1:8080@evil.example",
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/path",
    "http://127.0.0.1?x",
    "http://127.0.0.1#x",
    "http:/127.0.0.1",
    "http:127.0.0.1",
    "//127.0.0.1",
    "127.0.0.1",
    "localhost:8080",
    "http://",
    "http://:8080",
    "http://127.0.0.1:99999",
    "http://127.0.0.1:8x",
    "http://127%2e0.0.1",
    "http://127.0.0.1 http://evil.example",
    "http://127.0.0.1, http://evil.example",
    "",
};

const std::vector<std::string> k_loopback_origins = {
    "http://localhost",      "http://localhost:5173", "https://127.0.0.1:8443",    "http://[::1]:8080",
    "HTTP://LOCALHOST:3000", "http://127.0.0.2",      "http://[::ffff:127.0.0.1]", "https://[::1]",
};

TEST(HostOrigin, HostileHostsAreRefusedOnLoopback) {
  ASSERT_GE(k_hostile_hosts.size(), 30u);
  for (const auto& host : k_hostile_hosts) {
    EXPECT_FALSE(host_allowed(host, k_none, true)) << "Host: " << host;
  }
}

TEST(HostOrigin, LoopbackHostsAreAccepted) {
  for (const auto& host : k_loopback_hosts) {
    EXPECT_TRUE(host_allowed(host, k_none, true)) << "Host: " << host;
  }
}

TEST(HostOrigin, HostileOriginsAreRefusedByDefault) {
  ASSERT_GE(k_hostile_origins.size(), 30u);
  for (const auto& origin : k_hostile_origins) {
    EXPECT_FALSE(origin_allowed(origin, k_none)) << "Origin: " << origin;
  }
}

TEST(HostOrigin, LoopbackOriginsAreAcceptedByDefault) {
  for (const auto& origin : k_loopback_origins) {
    EXPECT_TRUE(origin_allowed(origin, k_none)) << "Origin: " << origin;
  }
}

TEST(HostOrigin, AllowedHostsReplaceTheLoopbackDefault) {
  const std::vector<std::string> allowed = {"build.example", "10.0.0.5:8080", "[2001:db8::1]"};
  for (const std::string host : {"build.example", "build.example:8080", "BUILD.Example", "10.0.0.5",
                                 "10.0.0.5:9000", "[2001:db8::1]", "[2001:DB8:0:0:0:0:0:1]:443"}) {
    EXPECT_TRUE(host_allowed(host, allowed, true)) << "Host: " << host;
    EXPECT_TRUE(host_allowed(host, allowed, false)) << "Host: " << host;
  }
  for (const std::string host : {"build.example.evil.example", "evil.build.example", "build.exampl",
                                 "10.0.0.50", "10.0.0.5.evil.example", "127.0.0.1", "localhost",
                                 "build.example@evil.example", "build.example/x", "[2001:db8::2]"}) {
    EXPECT_FALSE(host_allowed(host, allowed, true)) << "Host: " << host;
  }
}

TEST(HostOrigin, WithoutAllowListAnOpenBindAcceptsAnyWellFormedHost) {
  for (const std::string host : {"build.example", "10.1.2.3:8080", "nbs_1.internal", "[2001:db8::7]"}) {
    EXPECT_TRUE(host_allowed(host, k_none, false)) << "Host: " << host;
  }
  for (const std::string host : {"", "a b", "x@build.example", "build.example/", "[::1"}) {
    EXPECT_FALSE(host_allowed(host, k_none, false)) << "Host: " << host;
  }
}

TEST(HostOrigin, AllowedOriginsAreComparedAsOrigins) {
  const std::vector<std::string> allowed = {"https://app.example", "http://10.0.0.5:3000"};
  for (const std::string origin :
       {"https://app.example", "https://app.example:443", "HTTPS://App.Example", "http://10.0.0.5:3000"}) {
    EXPECT_TRUE(origin_allowed(origin, allowed)) << "Origin: " << origin;
  }
  for (const std::string origin :
       {"http://app.example", "https://app.example:8443", "https://app.example.evil.example",
        "https://evil.app.example", "https://app.example/", "https://x@app.example", "http://10.0.0.5",
        "http://10.0.0.5:30000", "http://localhost", "null", "https://app.example, https://evil.example"}) {
    EXPECT_FALSE(origin_allowed(origin, allowed)) << "Origin: " << origin;
  }
}

TEST(HostOrigin, LoopbackAddressesAreRealLiterals) {
  for (const std::string host : {"127.0.0.1", "127.9.8.7", "::1", "::ffff:127.0.0.1", "localhost"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const std::string host : {"127.1", "127.0.0.1.evil.example", "0.0.0.0", "::", "10.0.0.1", "::2",
                                 "localhost.evil.example", "[::1].evil.example"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(HostOrigin, ParsesIntoCanonicalParts) {
  EXPECT_EQ(*parse_host("LocalHost:8080"), (HostPort{HostPort::Kind::name, "localhost", 8080}));
  EXPECT_EQ(*parse_host("[0:0:0:0:0:0:0:1]"), (HostPort{HostPort::Kind::ipv6, "::1", std::nullopt}));
  EXPECT_EQ(*parse_host("[::FFFF:7F00:1]:1"), (HostPort{HostPort::Kind::ipv6, "::ffff:127.0.0.1", 1}));
  EXPECT_EQ(*parse_host("10.0.0.1:"), (HostPort{HostPort::Kind::ipv4, "10.0.0.1", std::nullopt}));
  // Found by host_origin_fuzzer: the canonical text is Asio's (inet_ntop), which is_loopback() reads
  // back; Boost.URL writes this address "::700:1".
  EXPECT_EQ(parse_host("[::700:1]")->host, "::7.0.0.1");
  EXPECT_EQ(parse_host("[::7.0.0.1]")->host, "::7.0.0.1");
  auto origin = parse_origin("HTTPS://Build.Example");
  ASSERT_TRUE(origin);
  EXPECT_EQ(origin->scheme, "https");
  EXPECT_EQ(origin->host, (HostPort{HostPort::Kind::name, "build.example", std::nullopt}));
  EXPECT_EQ(origin->effective_port(), 443);
  EXPECT_EQ(parse_origin("http://[::1]:8080")->effective_port(), 8080);
  EXPECT_EQ(parse_origin("chrome-extension://abc")->effective_port(), 0);
}

TEST(HostOrigin, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(parse_host("").error().message, "is empty");
  EXPECT_EQ(parse_host("a b").error().message,
            "has a host that is not a DNS name, an IPv4 address or an IPv6 address in brackets");
  EXPECT_EQ(parse_host("[::1]x").error().message, "has a port that is not a number from 0 to 65535");
  EXPECT_EQ(parse_host("x@localhost").error().message, "must not carry userinfo ('@')");
  EXPECT_EQ(parse_host("127.0.0.1:99999").error().message, "has a port that is not a number from 0 to 65535");
  EXPECT_EQ(parse_host("127%2e0.0.1").error().message,
            "has a host that is not a DNS name, an IPv4 address or an IPv6 address in brackets");
  EXPECT_EQ(parse_origin("null").error().message, "is the opaque origin 'null'");
  EXPECT_EQ(parse_origin("localhost:8080").error().message, "is not scheme://host[:port]");
  EXPECT_EQ(parse_origin("//localhost").error().message, "is not scheme://host[:port]");
  EXPECT_EQ(parse_origin("http://localhost/").error().message, "must not have a path, a query or a fragment");
}

TEST(HostOrigin, RefusedOriginsAreNamedByTheirHost) {
  EXPECT_EQ(origin_host("http://Evil.Example:80"), "evil.example");
  EXPECT_EQ(origin_host("http://evil.example/x"), "http://evil.example/x");
}

TEST(HostOrigin, AllowListsAreCheckedAtStartUp) {
  EXPECT_TRUE(check_allow_lists({"build.example", "10.0.0.5:8080", "[::1]"},
                                {"https://app.example", "http://[::1]:3000"}));
  EXPECT_EQ(check_allow_lists({"build.example", "https://build.example"}, {}).error().message,
            "allowed_hosts: 'https://build.example' is not host[:port]: it has a scheme, a path or a query");
  EXPECT_EQ(check_allow_lists({}, {"https://app.example/"}).error().message,
            "allowed_origins: 'https://app.example/' must not have a path, a query or a fragment");
  EXPECT_EQ(
      check_allow_lists({}, {"null"}).error().message,
      "allowed_origins: 'null' is the opaque origin 'null' (every sandboxed page sends it: it cannot be "
      "allowed)");
}

}  // namespace
}  // namespace nbs::mcpd
