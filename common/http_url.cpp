#include "common/http_url.hpp"

#include <boost/url/parse.hpp>

namespace nbs {

Result<HttpTarget> parse_http_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    return make_error(ErrorKind::invalid_argument, "url: not an absolute URL: " + std::string(url));
  }
  const auto& u = *parsed;
  HttpTarget t;
  if (u.scheme_id() == boost::urls::scheme::https) {
    t.tls = true;
  } else if (u.scheme_id() != boost::urls::scheme::http) {
    return make_error(ErrorKind::invalid_argument,
                      "url: only http and https are supported: " + std::string(url));
  }
  if (!u.has_authority() || u.encoded_host().empty()) {
    return make_error(ErrorKind::invalid_argument, "url: no host: " + std::string(url));
  }
  t.host = u.host_address();
  t.port = u.has_port() && !u.port().empty() ? std::string(u.port()) : (t.tls ? "443" : "80");
  t.host_header = u.encoded_host_and_port();
  t.target = u.encoded_target();
  if (t.target.empty()) {
    t.target = "/";
  } else if (t.target.front() != '/') {
    t.target.insert(t.target.begin(), '/');
  }
  return t;
}

}  // namespace nbs
