// The daemon as `nbs` sees it: the REST mirror of nbs-mcpd (POST /mcp/<tool>, GET /mcp/job/<id>/status
// and /logs, /health, /ready) over HTTP. Every call returns the daemon's JSON answer, or an Error whose
// kind says why (the daemon's error code, or unavailable/timeout when it could not be reached).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/error.hpp"
#include "common/http_types.hpp"

namespace nbs::cli {

struct DaemonOptions {
  std::string url = "http://127.0.0.1:8080";  // the daemon's base URL (a path prefix is kept)
  std::string token;                          // sent as "Authorization: Bearer <token>" when not empty
  std::string ca_file;                        // PEM CA bundle for an https URL; empty: the system's
};

// Sends one request; the real one is a BlockingHttpClient, tests pass a fake.
using HttpTransport = std::function<Result<HttpResponse>(const HttpRequest&)>;

// Query parameters of a GET, in order, not yet encoded.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

class DaemonClient {
 public:
  // Fails (invalid_argument, "url: ...") when the URL is not an absolute http(s) URL, or the CA file
  // cannot be loaded.
  static Result<DaemonClient> create(const DaemonOptions& options);
  DaemonClient(const DaemonOptions& options, HttpTransport transport);

  // POST /mcp/<tool> with `body` (submitJob takes {"job_config": {...}}; other tools their arguments).
  Result<boost::json::value> call(std::string_view tool, const boost::json::object& body) const;
  // GET /mcp/job/<id>/status?wait_seconds=N; the daemon answers when the status changes or N passes.
  Result<boost::json::value> status(std::string_view job_id, int wait_seconds) const;
  // GET /mcp/job/<id>/logs?<params> (phase, task, mode, tail_lines, cursor, pattern, ...).
  Result<boost::json::value> logs(std::string_view job_id, const QueryParams& params) const;
  // GET <path> for /health and /ready.
  Result<boost::json::value> get(std::string_view path) const;

  const std::string& url() const { return base_url_; }

 private:
  Result<boost::json::value> send(HttpRequest request) const;

  std::string base_url_;
  std::string token_;
  HttpTransport transport_;
};

// A response as the CLI sees it: a 2xx JSON body is the answer; any other status becomes an Error with
// the daemon's message, kind (from its "code", else from the status) and field details. `what` names
// the request in messages ("POST /mcp/submitJob").
Result<boost::json::value> interpret_response(const HttpResponse& response, std::string_view what);

}  // namespace nbs::cli
