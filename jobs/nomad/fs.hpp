// The allocation file system: task logs (/v1/client/fs/logs, plain or framed, from the start or the
// end, optionally following) and single files (/v1/client/fs/cat, e.g. the runner's result file).
// Logs are streamed to callbacks, never collected whole.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/nomad/client.hpp"
#include "jobs/nomad/frame_decoder.hpp"

namespace nbs::jobs::nomad {

enum class LogOrigin { start, end };
enum class Follow { no, yes };

struct LogRequest {
  std::string alloc_id;
  std::string task;
  std::string type = "stdout";  // "stdout" | "stderr"
  LogOrigin origin = LogOrigin::start;
  std::uint64_t offset = 0;  // from the origin; with LogOrigin::end, bytes back from the end
  Follow follow = Follow::no;
  std::chrono::milliseconds idle{std::chrono::seconds(30)};  // longest silence (heartbeats count)
};

// Receives log bytes in order; return false to stop reading (the call then succeeds).
using LogSink = std::function<bool(std::string_view bytes, const LogPosition& position)>;

struct LogReadStats {
  FrameStats frames;             // framed mode only
  std::uint64_t body_bytes = 0;  // bytes received from Nomad
  std::uint64_t data_bytes = 0;  // log bytes handed to the sink
  LogPosition position;
};

// One entry of /v1/client/fs/ls (AllocFileInfo).
struct AllocFileInfo {
  std::string name;
  bool is_dir = false;
  std::uint64_t size = 0;
  std::string file_mode;  // "-rw-r--r--"
  std::string mod_time;   // RFC 3339
};

class Fs {
 public:
  explicit Fs(Client& client) : client_(client) {}

  // Framed mode (plain=false): frames decoded as they arrive, heartbeats skipped, position counted by
  // the decoder across rotation. Errors: not_found (unknown alloc, task not started), invalid_argument.
  Result<LogReadStats> logs(const LogRequest& request, const LogSink& sink, const QueryOptions& query = {});
  // Plain mode (plain=true): the raw bytes; position.total counts them, position.file stays empty.
  Result<LogReadStats> logs_plain(const LogRequest& request, const LogSink& sink,
                                  const QueryOptions& query = {});

  // GET /v1/client/fs/cat/:alloc?path=…; at most `max_bytes` (a larger file is an error).
  Result<std::string> cat(std::string_view alloc_id, std::string_view path,
                          std::size_t max_bytes = std::size_t{1024} * 1024, const QueryOptions& query = {});

  // GET /v1/client/fs/readat/:alloc?path=…&offset=…&limit=…: at most `limit` bytes from `offset` (fewer
  // at the end of the file). A missing file is invalid_argument (Nomad's 400).
  Result<std::string> read_at(std::string_view alloc_id, std::string_view path, std::uint64_t offset,
                              std::size_t limit, const QueryOptions& query = {});

  // GET /v1/client/fs/ls/:alloc?path=… (e.g. "alloc/logs": the log rotation files and their sizes).
  // A missing directory is invalid_argument, as Nomad answers 400.
  Result<std::vector<AllocFileInfo>> ls(std::string_view alloc_id, std::string_view path,
                                        const QueryOptions& query = {});

 private:
  Result<LogReadStats> read_logs(const LogRequest& request, bool plain, const LogSink& sink,
                                 const QueryOptions& query);
  Client& client_;
};

}  // namespace nbs::jobs::nomad
