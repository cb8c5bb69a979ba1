// The Nomad HTTP API client core: addresses, token, namespace and region on every call, query and
// write metadata, error mapping and retries of idempotent reads. The resources (jobs.hpp,
// allocations.hpp, variables.hpp, fs.hpp, status.hpp) are thin handles over it, as in Nomad's api/.
// Blocking and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/http_types.hpp"
#include "jobs/nomad/config.hpp"
#include "jobs/nomad/options.hpp"
#include "jobs/nomad/retry.hpp"
#include "jobs/nomad/transport.hpp"

namespace nbs::jobs::nomad {

using Params = std::vector<std::pair<std::string, std::string>>;

// What Nomad answered: the status, the body (empty when streamed) and the index headers.
struct Reply {
  int status = 0;
  std::string body;
  QueryMeta meta;
};

// One path segment with everything but unreserved characters percent-encoded: a job id "a/b" becomes
// "a%2Fb", which Nomad routes like the raw slash.
std::string escape_segment(std::string_view segment);

class Client {
 public:
  Client(Config config, std::shared_ptr<Transport> transport, Sleeper sleeper = {});
  // A client over HTTP(S) with the TLS settings of `config`.
  static Result<Client> connect(Config config);

  // GET `path` with the query options; a blocking query gets a read timeout longer than its wait.
  // Transport failures and 5xx answers are retried with backoff (retry.hpp). read() turns any
  // non-2xx answer into an error (errors.hpp); read_raw() returns it as a reply.
  Result<Reply> read(std::string_view path, const QueryOptions& query, Params params = {});
  Result<Reply> read_raw(std::string_view path, const QueryOptions& query, Params params = {});

  // PUT, POST or DELETE `path` with a JSON body; never retried (the caller knows whether the write is
  // idempotent). write() turns non-2xx into an error; write_raw() returns it as a reply.
  Result<Reply> write(std::string_view method, std::string_view path, std::string body,
                      const WriteOptions& options, Params params = {});
  Result<Reply> write_raw(std::string_view method, std::string_view path, std::string body,
                          const WriteOptions& options, Params params = {});

  // GET whose 2xx body goes to `sink` as it arrives (logs); `idle` bounds the wait for each piece.
  // Not retried once the body started; non-2xx becomes an error.
  Result<Reply> stream(std::string_view path, const QueryOptions& query, Params params, const BodySink& sink,
                       std::chrono::milliseconds idle);

  const Config& config() const { return config_; }

 private:
  HttpRequest make_request(std::string_view method, std::string_view path, const std::string& namespace_name,
                           const std::string& region, Params params) const;
  Result<Reply> send_once(const HttpRequest& request);

  Config config_;
  std::shared_ptr<Transport> transport_;
  Sleeper sleep_;
};

}  // namespace nbs::jobs::nomad
