// How the Nomad client sends HTTP: an interface so that unit tests can answer with canned responses,
// and its real implementation over the shared blocking HTTP client.
#pragma once

#include <memory>

#include "common/error.hpp"
#include "common/http_types.hpp"
#include "jobs/nomad/config.hpp"

namespace nbs::jobs::nomad {

class Transport {
 public:
  virtual ~Transport() = default;
  // Any HTTP status is a response; errors are failures to talk (unavailable, timeout).
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
  // As send(), but a 2xx body goes to `sink` as it arrives.
  virtual Result<HttpResponse> stream(const HttpRequest& request, const BodySink& sink) = 0;
};

// Over BlockingHttpClient with the TLS options of `config`; fails when a TLS file cannot be loaded.
Result<std::shared_ptr<Transport>> make_http_transport(const Config& config);

}  // namespace nbs::jobs::nomad
