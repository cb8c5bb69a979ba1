// Decodes the body of framed /v1/client/fs/logs and /fs/stream: concatenated JSON StreamFrames with no
// separators ({"Offset":…,"Data":"<base64>","File":…,"FileEvent":…}{}{…}), `{}` being a heartbeat.
// Bytes may arrive split anywhere. Only one frame is buffered at a time, and its size is capped, so a
// long log never sits in memory. The decoder keeps its own position (file and offset in it), following
// rotation to the next file and truncation, because Nomad's Offset field is only approximate.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace nbs::jobs::nomad {

struct StreamFrame {
  std::int64_t offset = 0;  // Nomad's Offset, as sent
  std::string data;         // decoded
  std::string file;         // "alloc/logs/<task>.stdout.0"
  std::string file_event;   // "file deleted" | "file truncated" | ""
};

struct LogPosition {
  std::string file;               // the file the last data came from
  std::uint64_t file_offset = 0;  // where the next byte of `file` would be
  std::uint64_t total = 0;        // data bytes delivered since the decoder started
};

struct FrameStats {
  std::uint64_t frames = 0;  // data and event frames
  std::uint64_t heartbeats = 0;
  std::uint64_t input_bytes = 0;  // raw body bytes fed
  std::size_t peak_buffered = 0;  // most bytes of one unfinished frame held at once
};

class FrameDecoder {
 public:
  // Called for every frame with data or a file event (not for heartbeats), after the position has
  // been advanced past it; an error stops decoding and is returned by feed().
  using OnFrame = std::function<Status(const StreamFrame& frame, const LogPosition& position)>;

  // `start_offset`: where in the first file the stream begins, when known (origin=start, offset=N).
  explicit FrameDecoder(OnFrame on_frame, std::uint64_t start_offset = 0,
                        std::size_t max_frame_bytes = std::size_t{1024} * 1024);

  // Consumes any piece of the body. Fails (internal) on bytes that are not frames, a frame over the
  // cap, or bad base64.
  Status feed(std::string_view bytes);
  // Fails when the body ended inside a frame.
  Status finish() const;

  const LogPosition& position() const { return position_; }
  const FrameStats& stats() const { return stats_; }

 private:
  Status complete_frame();

  OnFrame on_frame_;
  std::size_t max_frame_bytes_;
  std::string pending_;  // the unfinished frame's bytes
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  bool first_data_ = true;
  LogPosition position_;
  FrameStats stats_;
};

}  // namespace nbs::jobs::nomad
