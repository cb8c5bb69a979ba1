// The simulator's transport-free request and reply types: endpoint handlers turn a SimRequest into a
// Reply without touching sockets, and only http_server.cpp knows Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nbs::nomad_sim {

struct SimRequest {
  std::string method;
  std::string path;                          // percent-decoded, without the query
  std::map<std::string, std::string> query;  // decoded; a flag without '=' maps to ""
  std::string body;
  std::string token;  // X-Nomad-Token, else the first word of "Authorization: Bearer …"

  bool has(const std::string& key) const { return query.count(key) != 0; }
  std::string param(const std::string& key) const {
    const auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  }
};

struct SimResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set by query endpoints: emitted as X-Nomad-Index with X-Nomad-KnownLeader/LastContact.
  std::optional<std::uint64_t> query_index;
  // Set by writes: emitted as X-Nomad-Index alone.
  std::optional<std::uint64_t> write_index;
};

// Nomad's error shape: a bare text body.
inline SimResponse text_error(unsigned status, std::string message) {
  SimResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(message);
  return r;
}

inline SimResponse json_reply(std::string body, unsigned status = 200) {
  SimResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A blocking query (ref §1.2): the session re-runs `run` after each state change until the returned
// index exceeds `min_index` or the wait ends. `run` fills SimResponse::query_index.
struct BlockingQuery {
  std::uint64_t min_index = 0;
  std::chrono::milliseconds wait{0};
  std::function<SimResponse()> run;
};

// A source of bytes for a streamed body (fs/logs). `poll` returns what is ready now; `finished` tells
// when no more will come (never, with follow).
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual std::string poll() = 0;
  virtual bool finished() const = 0;
  // Bytes to send when nothing happened for a heartbeat interval ("{}" for frames, nothing for plain).
  virtual std::string heartbeat() const = 0;
};

struct StreamReply {
  std::string content_type;
  std::unique_ptr<ByteStream> stream;
};

// What a handler produces: a ready response, a blocking query, or a stream.
struct Reply {
  std::optional<SimResponse> response;
  std::optional<BlockingQuery> query;
  std::optional<StreamReply> stream;

  static Reply of(SimResponse r) {
    Reply out;
    out.response = std::move(r);
    return out;
  }
};

}  // namespace nbs::nomad_sim
