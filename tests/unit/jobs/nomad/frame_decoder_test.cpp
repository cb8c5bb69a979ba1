#include "jobs/nomad/frame_decoder.hpp"

#include <limits>

#include <gtest/gtest.h>

#include "common/base64.hpp"
#include "jobs/nomad/fs.hpp"
#include "jobs/nomad/log_tail.hpp"
#include "tests/unit/jobs/nomad/testutil.hpp"

namespace nbs::jobs::nomad {
namespace {

std::string frame(std::int64_t offset, std::string_view data, std::string_view file) {
  return R"({"Offset":)" + std::to_string(offset) + R"(,"Data":")" + base64_encode(data) + R"(","File":")" +
         std::string(file) + R"("})";
}

// A stream with heartbeats, a rotation and a brace inside the data (base64 hides it, but the File
// name and event text are plain strings).
std::string sample_stream() {
  return frame(6, "hello\n", "alloc/logs/t.stdout.0") + "{}" +
         frame(12, "{world\n", "alloc/logs/t.stdout.0") + "{}{}" +
         R"({"File":"alloc/logs/t.stdout.0","FileEvent":"file deleted"})" +
         frame(4, "end\n", "alloc/logs/t.stdout.1");
}

struct Collected {
  std::string data;
  std::vector<std::string> events;
  LogPosition last;
};

Collected decode_in_pieces(const std::string& stream, const std::vector<std::size_t>& cuts) {
  Collected c;
  FrameDecoder d([&](const StreamFrame& f, const LogPosition& p) -> Status {
    c.data += f.data;
    if (!f.file_event.empty()) {
      c.events.push_back(f.file_event);
    }
    c.last = p;
    return {};
  });
  std::size_t at = 0;
  for (auto cut : cuts) {
    EXPECT_TRUE(d.feed(std::string_view(stream).substr(at, cut - at)));
    at = cut;
  }
  EXPECT_TRUE(d.feed(std::string_view(stream).substr(at)));
  EXPECT_TRUE(d.finish());
  EXPECT_EQ(d.stats().heartbeats, 3u);
  return c;
}

TEST(FrameDecoder, SplitsAtEveryPositionDecodeTheSame) {
  const std::string stream = sample_stream();
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    auto c = decode_in_pieces(stream, {cut});
    ASSERT_EQ(c.data, "hello\n{world\nend\n") << "cut at " << cut;
    ASSERT_EQ(c.events, std::vector<std::string>{"file deleted"});
    ASSERT_EQ(c.last.file, "alloc/logs/t.stdout.1");
    ASSERT_EQ(c.last.file_offset, 4u);
    ASSERT_EQ(c.last.total, 17u);
  }
}

TEST(FrameDecoder, ByteByByte) {
  const std::string stream = sample_stream();
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < stream.size(); ++i) {
    cuts.push_back(i);
  }
  EXPECT_EQ(decode_in_pieces(stream, cuts).data, "hello\n{world\nend\n");
}

TEST(FrameDecoder, CountsOffsetsFromTheRequestedStart) {
  LogPosition last;
  FrameDecoder d(
      [&](const StreamFrame&, const LogPosition& p) -> Status {
        last = p;
        return {};
      },
      100);
  ASSERT_TRUE(d.feed(frame(105, "abcde", "alloc/logs/t.stdout.0")));
  EXPECT_EQ(last.file_offset, 105u);
  EXPECT_EQ(last.total, 5u);
  ASSERT_TRUE(d.feed(R"({"File":"alloc/logs/t.stdout.0","FileEvent":"file truncated"})"));
  ASSERT_TRUE(d.feed(frame(2, "xy", "alloc/logs/t.stdout.0")));
  EXPECT_EQ(last.file_offset, 2u);
}

TEST(FrameDecoder, FromTheEndTheFirstOffsetComesFromNomad) {
  LogPosition last;
  FrameDecoder d([&](const StreamFrame&, const LogPosition& p) -> Status {
    last = p;
    return {};
  });
  ASSERT_TRUE(d.feed(frame(1000, "0123456789", "alloc/logs/t.stdout.3")));
  EXPECT_EQ(last.file_offset, 1000u);
}

// Found by tests/fuzz/frame_decoder_fuzzer: an Offset written as a double outside int64 was converted
// directly, which is undefined behaviour.
TEST(FrameDecoder, AnOffsetBeyondInt64ReadsAsTheNearestEnd) {
  std::vector<std::int64_t> offsets;
  FrameDecoder d([&](const StreamFrame& f, const LogPosition&) -> Status {
    offsets.push_back(f.offset);
    return {};
  });
  ASSERT_TRUE(
      d.feed(R"({"Offset":1e300,"Data":"YQ=="}{"Offset":-1e300,"Data":"Yg=="}{"Offset":2.5,"Data":""})"));
  EXPECT_EQ(offsets, (std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::max(),
                                                std::numeric_limits<std::int64_t>::min(), 2}));
}

TEST(FrameDecoder, RejectsGarbageOversizedFramesAndTruncation) {
  auto sink = [](const StreamFrame&, const LogPosition&) -> Status { return {}; };
  FrameDecoder garbage(sink);
  EXPECT_FALSE(garbage.feed("x{}"));
  FrameDecoder small(sink, 0, 16);
  EXPECT_FALSE(small.feed(frame(5, "hello", "f")));
  FrameDecoder cut(sink);
  ASSERT_TRUE(cut.feed(R"({"Offset":1,"Da)"));
  EXPECT_FALSE(cut.finish());
  FrameDecoder bad64(sink);
  EXPECT_FALSE(bad64.feed(R"({"Offset":1,"Data":"!!!!"})"));
}

TEST(FrameDecoder, AnErrorFromTheCallbackStopsDecoding) {
  int calls = 0;
  FrameDecoder d([&](const StreamFrame&, const LogPosition&) -> Status {
    ++calls;
    return make_error(ErrorKind::internal, "enough");
  });
  auto s = d.feed(frame(1, "a", "f") + frame(2, "b", "f"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "enough");
  EXPECT_EQ(calls, 1);
}

TEST(LastLines, DropsTheLeadingFragment) {
  EXPECT_EQ(last_lines("tial\nb\nc\n", 5, true), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(last_lines("a\nb\nc\n", 2, false), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(last_lines("a\nb\nc", 2, false), (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(last_lines("", 3, false).empty());
}

TEST(FsLogs, FramedLogsReachTheSinkWithTheRightParameters) {
  testing::Harness h;
  h.transport->answer(200, sample_stream());
  Fs fs(h.client);
  std::string got;
  auto stats =
      fs.logs({.alloc_id = "a1", .task = "runner", .type = "stderr", .origin = LogOrigin::end, .offset = 10},
              [&](std::string_view b, const LogPosition&) {
                got += b;
                return true;
              });
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(got, "hello\n{world\nend\n");
  EXPECT_EQ(stats->data_bytes, 17u);
  EXPECT_EQ(stats->body_bytes, sample_stream().size());
  EXPECT_EQ(h.transport->requests[0].url,
            "http://127.0.0.1:4646/v1/client/fs/logs/"
            "a1?task=runner&type=stderr&origin=end&offset=10&follow=false&plain=false");
}

TEST(FsLogs, TheReaderCanStopEarly) {
  testing::Harness h;
  h.transport->answer(200, sample_stream());
  Fs fs(h.client);
  int calls = 0;
  auto stats = fs.logs({.alloc_id = "a1", .task = "t"}, [&](std::string_view, const LogPosition&) {
    ++calls;
    return false;
  });
  ASSERT_TRUE(stats);
  EXPECT_EQ(calls, 1);
}

TEST(FsLogs, MissingTaskIsNotFound) {
  testing::Harness h;
  h.transport->answer(404, "task \"t\" not started yet. No logs available");
  Fs fs(h.client);
  auto stats =
      fs.logs({.alloc_id = "a1", .task = "t"}, [](std::string_view, const LogPosition&) { return true; });
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().kind, ErrorKind::not_found);
}

TEST(FsCat, CapsTheFileSize) {
  testing::Harness h;
  h.transport->answer(200, std::string(100, 'x'));
  Fs fs(h.client);
  EXPECT_TRUE(fs.cat("a1", "alloc/result.json", 100));
  auto big = fs.cat("a1", "alloc/result.json", 99);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().message, "nomad: fs/cat alloc/result.json: larger than 99 bytes");
}

}  // namespace
}  // namespace nbs::jobs::nomad
