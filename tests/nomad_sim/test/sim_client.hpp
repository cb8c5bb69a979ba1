// A small synchronous HTTP(S) client over Boost.Beast for the simulator's tests (independent of the
// jobs/ Nomad client on purpose: the two share no code). One connection per request.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include <boost/json.hpp>

namespace nbs::nomad_sim::test {

struct HttpResult {
  unsigned status = 0;                         // 0: the connection failed (error in `body`)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& lower_name) const;
  boost::json::value json() const;
};

class SimClient {
 public:
  explicit SimClient(std::string address, std::string token = "");

  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "",
                     const std::map<std::string, std::string>& headers = {}) const;
  HttpResult get(const std::string& target) const { return request("GET", target); }
  HttpResult put(const std::string& target, const std::string& body) const {
    return request("PUT", target, body);
  }
  HttpResult del(const std::string& target) const { return request("DELETE", target); }

  // Raw bytes of a streamed (chunked) response read for `duration`, then the client hangs up.
  std::string read_for(const std::string& target, std::chrono::milliseconds duration) const;

  // GET over TLS without verifying the server certificate (the test's own self-signed one).
  HttpResult tls_get(const std::string& target) const;

 private:
  std::string address_;
  std::string token_;
};

}  // namespace nbs::nomad_sim::test
