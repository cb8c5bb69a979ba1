// Fuzzes the Nomad log-stream frame decoder (jobs/nomad/frame_decoder) with a body as Nomad's framed
// /v1/client/fs/logs sends it, decoded twice: whole, and fed in pieces the way the network splits it.
//
// Input: two setting bytes, then the body.
//   byte 0    piece size for the second decode (1..255; 0: one piece per byte)
//   byte 1    bits 0-1  frame cap: 1 MiB (the default), 64, 256 or 4096 bytes
//             bit 2     start offset 100 instead of 0 (origin=start&offset=100)
//             bits 4-7  the callback fails at that frame (1..15; 0: never)
// Checks: no crash; both decodes deliver the same frames, positions and stats and end the same way (a
// split never changes the outcome); an error from the callback stops decoding at once and is what
// feed() returns; position.total is the sum of the data delivered; no more than the cap is buffered;
// every delivered frame, encoded again, decodes to the same data.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base64.hpp"
#include "jobs/nomad/frame_decoder.hpp"

namespace {
using nbs::Status;
using nbs::jobs::nomad::FrameDecoder;
using nbs::jobs::nomad::LogPosition;
using nbs::jobs::nomad::StreamFrame;

constexpr std::size_t k_caps[] = {1024 * 1024, 64, 256, 4096};
constexpr std::string_view k_callback_error = "fuzz: the reader stops here";

// Aborts (a libFuzzer crash) naming the failed check's line.
void check(bool ok, int line = __builtin_LINE()) {
  if (!ok) {
    std::fprintf(stderr, "frame_decoder_fuzzer: check at line %d failed\n", line);
    std::abort();
  }
}

struct Seen {
  StreamFrame frame;
  LogPosition position;
};

struct Outcome {
  std::vector<Seen> seen;
  std::optional<std::string> error;  // the first failure of feed() or finish()
  bool failed_in_finish = false;
  nbs::jobs::nomad::FrameStats stats;
  LogPosition position;
};

struct Settings {
  std::size_t piece = 0;  // 0: the whole body in one feed()
  std::size_t cap = k_caps[0];
  std::uint64_t start_offset = 0;
  unsigned fail_at = 0;  // the callback fails on this frame (1-based); 0: never
};

Outcome decode(std::string_view body, const Settings& settings) {
  Outcome out;
  unsigned calls = 0;
  bool stopped = false;
  FrameDecoder decoder(
      [&](const StreamFrame& frame, const LogPosition& position) -> Status {
        check(!stopped);  // no call after the callback failed
        ++calls;
        out.seen.push_back({frame, position});
        if (calls == settings.fail_at) {
          stopped = true;
          return nbs::make_error(nbs::ErrorKind::internal, std::string(k_callback_error));
        }
        return {};
      },
      settings.start_offset, settings.cap);
  const std::size_t piece = settings.piece == 0 ? body.size() : settings.piece;
  for (std::size_t at = 0; at < body.size() && !out.error; at += piece) {
    if (auto fed = decoder.feed(body.substr(at, piece)); !fed) {
      out.error = fed.error().message;
      check(!fed.error().message.empty());
    }
  }
  if (!out.error) {
    if (auto done = decoder.finish(); !done) {
      out.error = done.error().message;
      out.failed_in_finish = true;
    }
  }
  if (stopped) {
    check(out.error && *out.error == k_callback_error && !out.failed_in_finish);
  }
  out.stats = decoder.stats();
  out.position = decoder.position();
  return out;
}

bool same_frame(const StreamFrame& a, const StreamFrame& b) {
  return a.offset == b.offset && a.data == b.data && a.file == b.file && a.file_event == b.file_event;
}

bool same_position(const LogPosition& a, const LogPosition& b) {
  return a.file == b.file && a.file_offset == b.file_offset && a.total == b.total;
}

void check_outcome(const Outcome& out, const Settings& settings) {
  std::uint64_t data_bytes = 0;
  for (const auto& s : out.seen) {
    data_bytes += s.frame.data.size();
    check(s.position.total == data_bytes);
    check(s.frame.data.size() <= settings.cap);  // a frame's data is decoded from at most cap bytes
  }
  check(out.position.total == data_bytes);
  check(out.stats.frames == out.seen.size());
  check(out.stats.peak_buffered <= settings.cap);
}

// A delivered frame, written the way Nomad writes it, decodes to the same frame.
void check_reencoded(const StreamFrame& frame) {
  std::string body =
      "{\"Offset\":" + std::to_string(frame.offset) + ",\"Data\":\"" + nbs::base64_encode(frame.data) + "\"}";
  std::optional<StreamFrame> again;
  FrameDecoder decoder([&](const StreamFrame& f, const LogPosition&) -> Status {
    again = f;
    return {};
  });
  check(static_cast<bool>(decoder.feed(body)));
  check(static_cast<bool>(decoder.finish()));
  check(again.has_value() && again->data == frame.data && again->offset == frame.offset);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  Settings settings;
  settings.piece = data[0] == 0 ? 1 : data[0];
  settings.cap = k_caps[data[1] & 3];
  settings.start_offset = (data[1] & 4) != 0 ? 100 : 0;
  settings.fail_at = data[1] >> 4;
  const std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);

  Settings whole = settings;
  whole.piece = 0;
  const Outcome a = decode(body, whole);
  const Outcome b = decode(body, settings);
  check_outcome(a, whole);
  check_outcome(b, settings);

  check(a.seen.size() == b.seen.size());
  for (std::size_t i = 0; i < a.seen.size(); ++i) {
    check(same_frame(a.seen[i].frame, b.seen[i].frame));
    check(same_position(a.seen[i].position, b.seen[i].position));
  }
  check(a.error == b.error && a.failed_in_finish == b.failed_in_finish);
  check(same_position(a.position, b.position));
  check(a.stats.frames == b.stats.frames && a.stats.heartbeats == b.stats.heartbeats);
  if (!a.error) {
    check(a.stats.input_bytes == body.size() && b.stats.input_bytes == body.size());
  }
  for (const auto& s : a.seen) {
    check_reencoded(s.frame);
  }
  return 0;
}
