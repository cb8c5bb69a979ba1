#include "jobs/nomad/fs.hpp"

#include <algorithm>
#include <optional>

#include "jobs/nomad/json_fields.hpp"

namespace nbs::jobs::nomad {
namespace {

// The sink asked to stop: an error to end the transfer that read_logs() turns back into success.
constexpr std::string_view k_stopped = "nomad: log read stopped by the reader";

Params log_params(const LogRequest& r, bool plain) {
  return {{"task", r.task},
          {"type", r.type},
          {"origin", r.origin == LogOrigin::end ? "end" : "start"},
          {"offset", std::to_string(r.offset)},
          {"follow", r.follow == Follow::yes ? "true" : "false"},
          {"plain", plain ? "true" : "false"}};
}

bool is_stop(const Error& e) {
  return e.kind == ErrorKind::internal && e.message == k_stopped;
}

}  // namespace

Result<LogReadStats> Fs::read_logs(const LogRequest& request, bool plain, const LogSink& sink,
                                   const QueryOptions& query) {
  LogReadStats stats;
  const std::uint64_t start = request.origin == LogOrigin::start ? request.offset : 0;
  std::optional<FrameDecoder> decoder;
  if (!plain) {
    decoder.emplace(
        [&](const StreamFrame& frame, const LogPosition& position) -> Status {
          if (frame.data.empty()) {
            return {};
          }
          stats.data_bytes += frame.data.size();
          if (!sink(frame.data, position)) {
            return make_error(ErrorKind::internal, std::string(k_stopped));
          }
          return {};
        },
        start);
  }
  BodySink body_sink = [&](std::string_view chunk) -> Status {
    stats.body_bytes += chunk.size();
    if (decoder) {
      return decoder->feed(chunk);
    }
    stats.data_bytes += chunk.size();
    stats.position.total += chunk.size();
    if (!sink(chunk, stats.position)) {
      return make_error(ErrorKind::internal, std::string(k_stopped));
    }
    return {};
  };
  auto reply = client_.stream("/v1/client/fs/logs/" + escape_segment(request.alloc_id), query,
                              log_params(request, plain), body_sink, request.idle);
  if (!reply && !is_stop(reply.error())) {
    return reply.error();
  }
  if (decoder) {
    if (reply) {
      if (auto done = decoder->finish(); !done) {
        return done.error();
      }
    }
    stats.frames = decoder->stats();
    stats.position = decoder->position();
  }
  return stats;
}

Result<LogReadStats> Fs::logs(const LogRequest& request, const LogSink& sink, const QueryOptions& query) {
  return read_logs(request, false, sink, query);
}

Result<LogReadStats> Fs::logs_plain(const LogRequest& request, const LogSink& sink,
                                    const QueryOptions& query) {
  return read_logs(request, true, sink, query);
}

Result<std::string> Fs::cat(std::string_view alloc_id, std::string_view path, std::size_t max_bytes,
                            const QueryOptions& query) {
  std::string out;
  BodySink sink = [&](std::string_view chunk) -> Status {
    if (out.size() + chunk.size() > max_bytes) {
      return make_error(ErrorKind::internal, "nomad: fs/cat " + std::string(path) + ": larger than " +
                                                 std::to_string(max_bytes) + " bytes");
    }
    out.append(chunk);
    return {};
  };
  auto reply = client_.stream("/v1/client/fs/cat/" + escape_segment(alloc_id), query,
                              {{"path", std::string(path)}}, sink, client_.config().timeouts.read);
  if (!reply) {
    return reply.error();
  }
  return out;
}

Result<std::string> Fs::read_at(std::string_view alloc_id, std::string_view path, std::uint64_t offset,
                                std::size_t limit, const QueryOptions& query) {
  std::string out;
  // The limit is Nomad's to apply; a server that sent more would not be trusted with the memory.
  BodySink sink = [&](std::string_view chunk) -> Status {
    out.append(chunk.substr(0, limit - std::min(limit, out.size())));
    return {};
  };
  auto reply = client_.stream(
      "/v1/client/fs/readat/" + escape_segment(alloc_id), query,
      {{"path", std::string(path)}, {"offset", std::to_string(offset)}, {"limit", std::to_string(limit)}},
      sink, client_.config().timeouts.read);
  if (!reply) {
    return reply.error();
  }
  return out;
}

Result<std::vector<AllocFileInfo>> Fs::ls(std::string_view alloc_id, std::string_view path,
                                          const QueryOptions& query) {
  auto reply =
      client_.read("/v1/client/fs/ls/" + escape_segment(alloc_id), query, {{"path", std::string(path)}});
  if (!reply) {
    return reply.error();
  }
  return fields::parse_list<AllocFileInfo>(reply->body, "nomad: fs/ls", [](const boost::json::object& o) {
    return AllocFileInfo{fields::str(o, "Name"), fields::boolean(o, "IsDir"), fields::u64(o, "Size"),
                         fields::str(o, "FileMode"), fields::str(o, "ModTime")};
  });
}

}  // namespace nbs::jobs::nomad
