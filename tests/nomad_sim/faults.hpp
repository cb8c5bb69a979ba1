// Fault injection for tests (POST /sim/faults) and per-endpoint request counts (GET /sim/stats).
// Windows are wall-clock spans from the moment they are set; a new POST replaces only the fields it names.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <boost/json.hpp>

#include "common/error.hpp"
#include "tests/nomad_sim/http_types.hpp"

namespace nbs::nomad_sim {

class FaultInjector {
 public:
  // Fields: refuse_connections (duration), error_status (500|503) with error_for (duration) and
  // optional error_text, latency (duration) with optional latency_for, fail_placement (count, -1 =
  // until cleared). Durations are Go strings ("5s") or numbers of seconds. Unknown fields are errors.
  nbs::Status apply(const boost::json::object& body);
  void clear();

  bool refusing() const;
  // The injected error while its window is open.
  std::optional<SimResponse> error_response() const;
  std::chrono::milliseconds latency() const;
  // Consumes one placement failure; true when this registration must not be placed.
  bool take_placement_failure();
  boost::json::object describe() const;

 private:
  using Clock = std::chrono::steady_clock;
  mutable std::mutex mu_;
  Clock::time_point refuse_until_{};
  Clock::time_point error_until_{};
  unsigned error_status_ = 500;
  std::string error_text_;
  std::chrono::milliseconds latency_{0};
  Clock::time_point latency_until_ = Clock::time_point::max();
  int fail_placements_ = 0;
};

class RequestStats {
 public:
  // `key` is "<METHOD> <route pattern>", e.g. "GET /v1/job/:id/allocations".
  void count(const std::string& key);
  void count_refused();
  boost::json::object to_json() const;
  void reset();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace nbs::nomad_sim
