// The plain data of an HTTP exchange (request, response, timeouts, a body sink), free of Asio and
// Beast so that interfaces built on the HTTP client (the Nomad transport, the registry client) stay
// cheap to include and easy to fake.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace nbs {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// What an HTTP error status from a server we call means for us: the one mapping of every client in the
// tree (a client may refine it with what only its server's bodies say, as the Nomad client does for 500).
ErrorKind error_kind_of_status(int status);

// Every call has all three; a blocking query raises `read` above its server-side wait.
struct HttpTimeouts {
  std::chrono::milliseconds connect{std::chrono::seconds(10)};  // resolve, TCP connect, TLS handshake
  std::chrono::milliseconds write{std::chrono::seconds(30)};    // sending the whole request
  std::chrono::milliseconds read{std::chrono::seconds(60)};     // the header, then each piece of the body
};

inline constexpr std::size_t k_default_max_body = std::size_t{16} * 1024 * 1024;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: http://host[:port]/path?query or https://…
  HttpHeaders headers;
  std::string body;
  // An IP address to connect to instead of resolving the URL's host (as curl's --resolve): for a caller
  // that has vetted the address itself. Host, SNI and the certificate check still use the URL's host.
  std::string connect_to;
  HttpTimeouts timeouts;
  // A body held in memory (every non-streamed body, and non-2xx bodies of streamed calls) may not
  // exceed this; a larger one fails the call instead of growing without bound.
  std::size_t max_body = k_default_max_body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;  // empty when a sink took it

  // The first header named `name` (case-insensitive); nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
};

// Receives a 2xx response body piece by piece, as it arrives; an error stops the transfer and becomes
// the result of the call.
using BodySink = std::function<Status(std::string_view chunk)>;

}  // namespace nbs
