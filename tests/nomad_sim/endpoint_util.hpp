// Shared pieces of the HTTP handlers: body decoding with Nomad's 400 texts, the namespace of a
// request, and wrapping a read as a (possibly blocking) query with Nomad's index headers.
#pragma once

#include <functional>
#include <string>

#include <boost/json.hpp>

#include "common/error.hpp"
#include "tests/nomad_sim/http_types.hpp"

namespace nbs::nomad_sim {

// The body as a JSON object with keys normalized like Go's decoder; errors carry the 400 text.
nbs::Result<boost::json::object> parse_body(const std::string& body);

// ?namespace=, else "default".
std::string request_namespace(const SimRequest& req);

// A 200 JSON answer of a query endpoint with its index.
SimResponse query_ok(const boost::json::value& body, std::uint64_t index);
// A plain-text error of a query endpoint that still carries the index headers (as Nomad's do).
SimResponse query_error(unsigned status, std::string text, std::uint64_t index);

// Blocking when ?index=N>0 (ref §1.2); 400 `Invalid index` / `Invalid wait time` on bad values.
Reply query_reply(const SimRequest& req, std::function<SimResponse()> run);

}  // namespace nbs::nomad_sim
