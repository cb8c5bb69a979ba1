#include "tests/nomad_sim/endpoint_util.hpp"

#include <charconv>

#include "tests/nomad_sim/job_canonical.hpp"
#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

nbs::Result<json::object> parse_body(const std::string& body) {
  if (body.empty()) {
    return nbs::make_error(nbs::ErrorKind::invalid_argument, "Request body is empty");
  }
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    return nbs::make_error(nbs::ErrorKind::invalid_argument,
                           "invalid character in request body: " + ec.message());
  }
  if (!v.is_object()) {
    return nbs::make_error(nbs::ErrorKind::invalid_argument,
                           "json: cannot unmarshal " + std::string(v.is_array() ? "array" : "value") +
                               " into Go value of type object");
  }
  normalize_keys(v);
  return std::move(v.get_object());
}

std::string request_namespace(const SimRequest& req) {
  const std::string ns = req.param("namespace");
  return ns.empty() ? "default" : ns;
}

SimResponse query_ok(const json::value& body, std::uint64_t index) {
  SimResponse r = json_reply(json::serialize(body));
  r.query_index = index;
  return r;
}

SimResponse query_error(unsigned status, std::string text, std::uint64_t index) {
  SimResponse r = text_error(status, std::move(text));
  r.query_index = index;
  return r;
}

Reply query_reply(const SimRequest& req, std::function<SimResponse()> run) {
  BlockingQuery q;
  if (req.has("index")) {
    const std::string s = req.param("index");
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) {
      return Reply::of(text_error(400, "Invalid index"));
    }
    q.min_index = v;
  }
  q.wait = std::chrono::minutes(5);
  if (req.has("wait")) {
    const auto d = parse_go_duration(req.param("wait"));
    if (!d) {
      return Reply::of(text_error(400, "Invalid wait time"));
    }
    q.wait = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  if (req.has("stale")) {
    const std::string s = req.param("stale");
    if (!s.empty() && s != "true" && s != "false") {
      return Reply::of(text_error(400, "Expect `true` or `false` for `stale` query string parameter"));
    }
  }
  if (q.min_index == 0) {
    return Reply::of(run());
  }
  q.run = std::move(run);
  Reply r;
  r.query = std::move(q);
  return r;
}

}  // namespace nbs::nomad_sim
