#include "jobs/nomad/frame_decoder.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>

#include "common/base64.hpp"
#include "jobs/nomad/json_fields.hpp"

namespace nbs::jobs::nomad {
namespace json = boost::json;

namespace {
Error frame_error(const std::string& what) {
  return make_error(ErrorKind::internal, "nomad: log frames: " + what);
}
}  // namespace

FrameDecoder::FrameDecoder(OnFrame on_frame, std::uint64_t start_offset, std::size_t max_frame_bytes)
    : on_frame_(std::move(on_frame)), max_frame_bytes_(max_frame_bytes) {
  position_.file_offset = start_offset;
}

Status FrameDecoder::feed(std::string_view bytes) {
  stats_.input_bytes += bytes.size();
  for (char c : bytes) {
    if (depth_ == 0) {
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        continue;  // between frames
      }
      if (c != '{') {
        return frame_error("unexpected byte between frames");
      }
    }
    if (pending_.size() >= max_frame_bytes_) {
      return frame_error("a frame exceeds " + std::to_string(max_frame_bytes_) + " bytes");
    }
    pending_ += c;
    stats_.peak_buffered = std::max(stats_.peak_buffered, pending_.size());
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{') {
      ++depth_;
    } else if (c == '}' && --depth_ == 0) {
      if (auto done = complete_frame(); !done) {
        return done;
      }
    }
  }
  return {};
}

Status FrameDecoder::complete_frame() {
  boost::system::error_code ec;
  json::value v = json::parse(pending_, ec);
  pending_.clear();
  if (ec || !v.is_object()) {
    return frame_error("a frame is not a JSON object");
  }
  const auto& o = v.as_object();
  if (o.empty()) {
    ++stats_.heartbeats;
    return {};
  }
  StreamFrame frame;
  frame.offset = fields::i64(o, "Offset");
  frame.file = fields::str(o, "File");
  frame.file_event = fields::str(o, "FileEvent");
  auto data = base64_decode(fields::str(o, "Data"));
  if (!data) {
    return frame_error("Data is not base64");
  }
  frame.data = std::move(*data);
  ++stats_.frames;
  if (!frame.file_event.empty()) {
    // Truncation restarts the file; deletion means the next data comes from another file.
    if (frame.file_event == "file truncated") {
      position_.file_offset = 0;
    }
  } else if (!frame.file.empty() && frame.file != position_.file) {
    // Rotation: a new file starts at 0, except the very first one, which starts where we asked.
    if (!first_data_) {
      position_.file_offset = 0;
    } else if (position_.file_offset == 0 && frame.offset >= static_cast<std::int64_t>(frame.data.size())) {
      // origin=end: Nomad's Offset is where this frame's data ends in the file.
      position_.file_offset = static_cast<std::uint64_t>(frame.offset) - frame.data.size();
    }
    position_.file = frame.file;
  }
  if (!frame.data.empty()) {
    first_data_ = false;
  }
  position_.file_offset += frame.data.size();
  position_.total += frame.data.size();
  return on_frame_(frame, position_);
}

Status FrameDecoder::finish() const {
  if (depth_ != 0 || !pending_.empty()) {
    return frame_error("the stream ended inside a frame");
  }
  return {};
}

}  // namespace nbs::jobs::nomad
