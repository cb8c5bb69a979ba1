// An absolute http(s) URL split into what a connection needs: scheme, host, port, request target.
#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace nbs {

struct HttpTarget {
  bool tls = false;         // https
  std::string host;         // for name resolution: "127.0.0.1", "nomad.example", "::1"
  std::string port;         // always set: explicit, else 80 or 443
  std::string host_header;  // "host" or "host:port" as written in the URL (brackets kept for IPv6)
  std::string target;       // "/path?query", at least "/"
};

// Fails (invalid_argument, naming the URL) unless `url` is an absolute http or https URL with a host.
Result<HttpTarget> parse_http_url(std::string_view url);

}  // namespace nbs
