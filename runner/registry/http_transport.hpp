// The HTTP the registry client needs, behind an interface so that tests can fake it; the real one is
// common/http_client (BlockingHttpClient).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/http_types.hpp"

namespace nbs::runner::registry {

using nbs::BodySink;
using nbs::HttpRequest;
using nbs::HttpResponse;

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request and reads the whole answer, or streams a 2xx body into `sink` when given.
  // Network failures are errors (unavailable, timeout); HTTP errors are answers.
  virtual Result<HttpResponse> send(const HttpRequest& request, const BodySink* sink = nullptr) = 0;
};

// The value of header `name` (case-insensitive), empty when absent.
std::string header_value(const HttpResponse& response, std::string_view name);

// A transport over its own BlockingHttpClient (kept-alive connections, timeouts, TLS verification).
Result<std::unique_ptr<HttpTransport>> make_http_transport();

}  // namespace nbs::runner::registry
