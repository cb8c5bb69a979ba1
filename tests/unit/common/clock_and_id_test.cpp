#include <set>

#include <gtest/gtest.h>

#include "common/clock.hpp"
#include "common/digest.hpp"
#include "common/job_id.hpp"

namespace nbs {
namespace {

TEST(ClockTest, FormatsUtcWithMilliseconds) {
  const SystemTime t{std::chrono::milliseconds{1795719284123}};
  EXPECT_EQ(format_utc(t), "2026-11-26T18:54:44.123Z");
  EXPECT_EQ(parse_utc("2026-11-26T18:54:44.123Z"), t);
  EXPECT_EQ(format_utc(SystemTime{}), "1970-01-01T00:00:00.000Z");
}

TEST(ClockTest, RejectsAnythingElse) {
  for (const char* bad : {"2026-11-26T18:54:44Z", "2026-02-30T00:00:00.000Z", "2026-11-26 18:54:44.123Z",
                          "2026-11-26T24:00:00.000Z", "2026-11-26T18:54:44.123+01", ""}) {
    EXPECT_FALSE(parse_utc(bad)) << bad;
  }
}

TEST(JobIdTest, IsAVersion4UuidAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_job_id();
    ASSERT_TRUE(is_job_id(id)) << id;
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_FALSE(is_job_id("3F2B0000-0000-4000-8000-000000000000"));
  EXPECT_FALSE(is_job_id("not-a-uuid"));
}

TEST(DigestTest, HexAndSha256AsEveryToolPrintsThem) {
  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(hex(bytes), "000fa5ff");
  EXPECT_EQ(hex({}), "");
  // FIPS 180-2's test vectors.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace nbs
