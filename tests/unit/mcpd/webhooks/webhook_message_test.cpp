#include "mcpd/webhooks/webhook_message.hpp"

#include <gtest/gtest.h>

namespace nbs::mcpd {
namespace {

TEST(HmacSha256, Rfc4231Vectors) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size.
  EXPECT_EQ(
      hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CustomWebhookHeaders, KeepsOwnHeadersAndRejectsReservedOnes) {
  const std::map<std::string, std::string> asked{
      {"Authorization", "Bearer t"}, {"X-Team", "build"},           {"content-type", "text/plain"},
      {"Host", "evil.example"},      {"X-Webhook-Signature", "x"},  {"User-Agent", "me"},
      {"Content-Length", "1"},       {"X-Bad", "a\r\nInjected: 1"}, {"Bad Name", "v"},
  };
  auto headers = custom_webhook_headers(asked);
  const HttpHeaders expected_kept{{"Authorization", "Bearer t"}, {"X-Team", "build"}};
  EXPECT_EQ(headers.kept, expected_kept);
  const std::vector<std::string> expected_rejected{
      "Bad Name: not a valid header name",       "Content-Length: set by the service itself",
      "Host: set by the service itself",         "User-Agent: set by the service itself",
      "X-Bad: value has control characters",     "X-Webhook-Signature: set by the service itself",
      "content-type: set by the service itself",
  };
  EXPECT_EQ(headers.rejected, expected_rejected);
}

TEST(WebhookHeaders, SignatureOnlyWithASecret) {
  const HttpHeaders custom{{"X-Team", "build"}};
  auto signed_headers = webhook_headers("job.completed", "id-1", "{}", "s3cret", custom);
  const HttpHeaders expected{{"Content-Type", "application/json"},
                             {"X-Webhook-Event", "job.completed"},
                             {"X-Webhook-Delivery", "id-1"},
                             {"X-Team", "build"},
                             {"X-Webhook-Signature", "sha256=" + hmac_sha256_hex("s3cret", "{}")}};
  EXPECT_EQ(signed_headers, expected);
  auto plain = webhook_headers("job.completed", "id-1", "{}", "", custom);
  EXPECT_EQ(plain.size(), 4u);
  for (const auto& [name, value] : plain) {
    EXPECT_NE(name, "X-Webhook-Signature");
  }
}

}  // namespace
}  // namespace nbs::mcpd
