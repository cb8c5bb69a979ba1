#include "common/phase_log.hpp"

#include <gtest/gtest.h>

#include "common/phase_log_reader.hpp"
#include "common/phase_log_writer.hpp"

namespace nbs {
namespace {

SystemTime fixed_time() {
  return *parse_utc("2026-11-26T18:54:44.123Z");
}

// Collects what a writer prints.
struct Captured {
  std::string text;
  PhaseLogWriter writer(LogFormat format) {
    return PhaseLogWriter([this](std::string_view line) { text += line; }, "job-1", "build", format,
                          fixed_time);
  }
};

TEST(PhaseLogTest, EveryKindRoundTripsThroughJson) {
  Captured out;
  auto w = out.writer(LogFormat::json);
  w.phase_start("fetching");
  w.step(2, 5, "[builder] RUN make", "builder");
  w.line(LogStream::out, "compiling \"x\"\twith tabs");
  w.line(LogStream::err, "warning: ünïcode");
  w.error("RUN failed", 3);
  w.result("sha256:abc", "pushed");
  w.phase_end(3, "build failed", 1234);

  PhaseLogReader reader;
  auto events = reader.feed(out.text);
  ASSERT_EQ(events.size(), 7u);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq, i);
    EXPECT_EQ(events[i].ts, "2026-11-26T18:54:44.123Z");
    EXPECT_EQ(events[i].job, "job-1");
    EXPECT_EQ(events[i].phase, "build");
  }
  EXPECT_EQ(events[0].kind, EventKind::phase_start);
  EXPECT_EQ(events[1].kind, EventKind::step);
  EXPECT_EQ(events[1].step, 2);
  EXPECT_EQ(events[1].steps, 5);
  EXPECT_EQ(events[1].stage, "builder");
  EXPECT_EQ(events[2].stream, LogStream::out);
  EXPECT_EQ(events[2].text, "compiling \"x\"\twith tabs");
  EXPECT_EQ(events[3].stream, LogStream::err);
  EXPECT_EQ(events[3].text, "warning: ünïcode");
  EXPECT_EQ(events[4].exit_code, 3);
  EXPECT_EQ(events[5].digest, "sha256:abc");
  EXPECT_EQ(events[6].kind, EventKind::phase_end);
  EXPECT_EQ(events[6].duration_ms, 1234);
  EXPECT_EQ(reader.consumed(), out.text.size());
  // Serialising the parsed events again gives the same bytes.
  std::string again;
  for (const auto& e : events) {
    again += to_json_line(e) + "\n";
  }
  EXPECT_EQ(again, out.text);
}

TEST(PhaseLogTest, ReaderHoldsBackATornLastLineUntilItCompletes) {
  Captured out;
  auto w = out.writer(LogFormat::json);
  w.line(LogStream::out, "one");
  w.line(LogStream::out, "two");
  const std::string all = out.text;
  const std::size_t cut = all.size() - 7;  // in the middle of the second event

  PhaseLogReader reader;
  auto first = reader.feed(std::string_view(all).substr(0, cut));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].text, "one");
  EXPECT_EQ(reader.consumed(), all.find('\n') + 1);
  auto second = reader.feed(std::string_view(all).substr(cut));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].text, "two");
}

TEST(PhaseLogTest, FinishDropsATornEventButKeepsPlainText) {
  PhaseLogReader torn;
  EXPECT_TRUE(torn.feed(R"({"ts":"2026-11-26T18:54:44.123Z","kind":"li)").empty());
  EXPECT_TRUE(torn.finish().empty());

  PhaseLogReader plain(PhaseEvent{.job = "j", .phase = "test", .stream = LogStream::out});
  EXPECT_TRUE(plain.feed("no newline at the end").empty());
  auto events = plain.finish();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].text, "no newline at the end");
  EXPECT_EQ(events[0].phase, "test");
}

TEST(PhaseLogTest, PlainContainerOutputBecomesNumberedLineEvents) {
  PhaseLogReader reader(PhaseEvent{.job = "j", .phase = "test", .stream = LogStream::err});
  auto events = reader.feed("ok 1\r\nnot json {\n\n{\"broken\":\n");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].text, "ok 1");
  EXPECT_EQ(events[1].text, "not json {");
  EXPECT_EQ(events[2].text, "");
  EXPECT_EQ(events[3].text, "{\"broken\":");
  EXPECT_EQ(events[3].seq, 3u);
  EXPECT_EQ(events[3].kind, EventKind::line);
  EXPECT_EQ(events[3].stream, LogStream::err);
}

TEST(PhaseLogTest, OverlongLinesAreCutInsteadOfBuffered) {
  PhaseLogReader reader;
  std::string huge(PhaseLogReader::k_max_line_bytes + 10, 'x');
  huge += '\n';
  auto events = reader.feed(huge);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].text.size(), PhaseLogReader::k_max_line_bytes);
  EXPECT_EQ(events[1].text.size(), 10u);
}

TEST(PhaseLogTest, ParseErrorsNameTheField) {
  auto r = parse_phase_event(R"({"ts":"x","kind":"bogus","seq":-1,"exit_code":"3"})");
  ASSERT_FALSE(r);
  std::vector<std::string> paths;
  for (const auto& f : r.error().fields) {
    paths.push_back(f.path);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"seq", "kind", "exit_code"}));
  EXPECT_FALSE(parse_phase_event("[1,2]"));
  EXPECT_FALSE(parse_phase_event(R"({"kind":"line"})"));  // ts is required
}

TEST(PhaseLogTest, SecretsAreMaskedInEveryEvent) {
  Captured out;
  auto w = out.writer(LogFormat::json);
  w.add_secret("s3cr3t-token");
  w.add_secret("-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----\n");
  w.line(LogStream::out, "Authorization: Basic s3cr3t-token");
  w.error("auth failed for s3cr3t-token");
  w.line(LogStream::err, "key line AAAABBBBCCCC leaked");
  EXPECT_EQ(out.text.find("s3cr3t-token"), std::string::npos) << out.text;
  EXPECT_EQ(out.text.find("AAAABBBBCCCC"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("Basic ***"), std::string::npos);
}

TEST(PhaseLogTest, TextRenderingIsReadable) {
  Captured out;
  auto w = out.writer(LogFormat::text);
  w.step(2, 5, "RUN make");
  w.line(LogStream::err, "oops");
  w.phase_end(0, "succeeded", 1500);
  EXPECT_EQ(out.text,
            "18:54:44.123 build STEP 2/5: RUN make\n"
            "18:54:44.123 build stderr| oops\n"
            "18:54:44.123 build ■ end exit=0 (1500 ms): succeeded\n");
}

}  // namespace
}  // namespace nbs
