#include "jobs/local/report_tar.hpp"

#include <cstdio>
#include <random>

#include <gtest/gtest.h>

namespace nbs::jobs {
namespace {

// One ustar header block for `name` (type '0' unless told) of `size` bytes, with a valid checksum.
std::string header(const std::string& name, std::uint64_t size, char type = '0') {
  std::string h(512, '\0');
  h.replace(0, std::min<std::size_t>(name.size(), 100), name.substr(0, 100));
  std::snprintf(h.data() + 100, 8, "%07o", 0644);
  std::snprintf(h.data() + 124, 12, "%011llo", static_cast<unsigned long long>(size));
  h[156] = type;
  h.replace(257, 6, std::string("ustar\0", 6));
  h.replace(263, 2, "00");
  h.replace(148, 8, "        ");
  unsigned sum = 0;
  for (const char c : h) {
    sum += static_cast<unsigned char>(c);
  }
  std::snprintf(h.data() + 148, 8, "%06o", sum);
  return h;
}

std::string padded(const std::string& data) {
  return data + std::string((512 - data.size() % 512) % 512, '\0');
}

std::string entry(const std::string& name, const std::string& data, char type = '0') {
  return header(name, data.size(), type) + padded(data);
}

std::string end_blocks() {
  return std::string(1024, '\0');
}

std::string pax(const std::string& key, const std::string& value) {
  std::string record = " " + key + "=" + value + "\n";
  std::size_t length = record.size() + 1;
  length = record.size() + std::to_string(length).size();
  return std::to_string(length) + record;
}

TEST(TarReader, KeepsAWholeSmallFileAndSeesTheEnd) {
  TarReader reader(TarLimits{});
  EXPECT_FALSE(reader.feed(entry("junit.xml", "<testsuite/>") + end_blocks()));
  ASSERT_EQ(reader.files().size(), 1u);
  EXPECT_EQ(reader.files()[0].name, "junit.xml");
  EXPECT_EQ(reader.files()[0].data, "<testsuite/>");
  EXPECT_EQ(reader.files()[0].size, 12u);
  EXPECT_FALSE(reader.files()[0].truncated);
  EXPECT_TRUE(reader.complete());
  EXPECT_TRUE(reader.error().empty());
}

TEST(TarReader, ReadsTheSameStreamFedOneByteAtATime) {
  const std::string stream = entry("out/", "", '5') + entry("out/a.txt", std::string(700, 'a')) +
                             entry("out/b", "bee") + end_blocks();
  TarReader reader(TarLimits{});
  for (const char c : stream) {
    if (!reader.feed(std::string_view(&c, 1))) {
      break;
    }
  }
  ASSERT_EQ(reader.files().size(), 2u);  // the directory entry is not a file
  EXPECT_EQ(reader.files()[0].name, "out/a.txt");
  EXPECT_EQ(reader.files()[0].data, std::string(700, 'a'));
  EXPECT_EQ(reader.files()[1].data, "bee");
  EXPECT_TRUE(reader.complete());
}

TEST(TarReader, KeepsTheFirstBytesOfAFileOverTheCapAndItsWholeSize) {
  TarReader reader(TarLimits{.file_bytes = 100});
  reader.feed(entry("big", std::string(5000, 'x')) + entry("small", "ok") + end_blocks());
  ASSERT_EQ(reader.files().size(), 2u);
  EXPECT_EQ(reader.files()[0].data.size(), 100u);
  EXPECT_EQ(reader.files()[0].size, 5000u);
  EXPECT_TRUE(reader.files()[0].truncated);
  EXPECT_EQ(reader.files()[1].data, "ok");  // the next entry is still found
  EXPECT_EQ(reader.kept_bytes(), 102u);
}

TEST(TarReader, StopsAtTheTotalCapAndSaysEntriesWereLeft) {
  TarReader reader(TarLimits{.file_bytes = 100, .total_bytes = 150});
  EXPECT_FALSE(reader.feed(entry("a", std::string(100, 'a')) + entry("b", std::string(100, 'b')) +
                           entry("c", "c") + end_blocks()));
  ASSERT_EQ(reader.files().size(), 2u);
  EXPECT_EQ(reader.files()[1].data.size(), 50u);
  EXPECT_TRUE(reader.files()[1].truncated);
  EXPECT_TRUE(reader.incomplete());
  EXPECT_EQ(reader.kept_bytes(), 150u);
}

TEST(TarReader, StopsAtTheFileCount) {
  TarReader reader(TarLimits{.max_files = 2});
  reader.feed(entry("a", "1") + entry("b", "2") + entry("c", "3") + end_blocks());
  EXPECT_EQ(reader.files().size(), 2u);
  EXPECT_TRUE(reader.incomplete());
}

TEST(TarReader, StopsReadingAHugeFileAtTheStreamBudget) {
  // The header says 8 GB: the reader must not want the rest of it.
  TarReader reader(TarLimits{.file_bytes = 10, .stream_bytes = 4096});
  const std::string head = header("huge", 8'000'000'000ULL);
  EXPECT_TRUE(reader.feed(head));
  const std::string chunk(1024, 'z');
  int fed = 0;
  while (reader.feed(chunk) && fed < 100) {
    ++fed;
  }
  EXPECT_LT(fed, 5);
  ASSERT_EQ(reader.files().size(), 1u);
  EXPECT_EQ(reader.files()[0].size, 8'000'000'000ULL);
  EXPECT_EQ(reader.files()[0].data, std::string(10, 'z'));
  EXPECT_TRUE(reader.files()[0].truncated);
  EXPECT_TRUE(reader.incomplete());
}

TEST(TarReader, AStreamCutOffMidFileLeavesItMarkedTruncated) {
  TarReader reader(TarLimits{});
  EXPECT_TRUE(reader.feed(header("part", 1000) + std::string(300, 'p')));
  ASSERT_EQ(reader.files().size(), 1u);
  EXPECT_EQ(reader.files()[0].data.size(), 300u);
  EXPECT_TRUE(reader.files()[0].truncated);
  EXPECT_FALSE(reader.complete());
}

TEST(TarReader, TakesLongNamesFromPaxAndGnuHeaders) {
  const std::string long_name = "out/" + std::string(150, 'n') + ".xml";
  const std::string pax_data = pax("path", long_name);
  const std::string gnu_name = "out/" + std::string(120, 'g');
  TarReader reader(TarLimits{});
  reader.feed(entry("PaxHeaders/x", pax_data, 'x') + entry("short", "one") +
              entry("././@LongLink", gnu_name, 'L') + entry("trunc", "two") + end_blocks());
  ASSERT_EQ(reader.files().size(), 2u);
  EXPECT_EQ(reader.files()[0].name, long_name);
  EXPECT_EQ(reader.files()[1].name, gnu_name);
}

TEST(TarReader, APaxSizeOverridesTheHeaders) {
  TarReader reader(TarLimits{});
  reader.feed(entry("PaxHeaders/x", pax("size", "5"), 'x') + header("f", 0) + padded("12345") + end_blocks());
  ASSERT_EQ(reader.files().size(), 1u);
  EXPECT_EQ(reader.files()[0].data, "12345");
}

TEST(TarReader, RefusesAHeaderWithABadChecksum) {
  std::string bad = header("f", 3);
  bad[0] = 'g';
  TarReader reader(TarLimits{});
  EXPECT_FALSE(reader.feed(bad + padded("abc") + end_blocks()));
  EXPECT_FALSE(reader.error().empty());
  EXPECT_TRUE(reader.files().empty());
}

// Whatever bytes arrive, the reader stays within its caps and does not crash.
TEST(TarReader, SurvivesRandomAndMangledStreams) {
  std::mt19937 random(16);
  const std::string good = entry("a", std::string(3000, 'a')) + entry("b", "b") + end_blocks();
  for (int round = 0; round < 2000; ++round) {
    std::string stream = good;
    const int flips = 1 + static_cast<int>(random() % 20);
    for (int i = 0; i < flips; ++i) {
      stream[random() % stream.size()] = static_cast<char>(random());
    }
    if (round % 3 == 0) {
      stream.resize(random() % stream.size());
    }
    TarReader reader(TarLimits{.file_bytes = 1000, .total_bytes = 1500, .max_files = 3});
    std::size_t at = 0;
    while (at < stream.size()) {
      const std::size_t n = std::min<std::size_t>(1 + random() % 700, stream.size() - at);
      if (!reader.feed(std::string_view(stream).substr(at, n))) {
        break;
      }
      at += n;
    }
    EXPECT_LE(reader.kept_bytes(), 1500u);
    EXPECT_LE(reader.files().size(), 3u);
    for (const auto& f : reader.files()) {
      EXPECT_LE(f.data.size(), 1000u);
    }
  }
}

}  // namespace
}  // namespace nbs::jobs
