#include "tests/nomad_sim/faults.hpp"

#include "tests/nomad_sim/wire.hpp"

namespace nbs::nomad_sim {

namespace {

nbs::Result<std::chrono::milliseconds> duration_value(const json::value& v, std::string_view field) {
  if (v.is_string()) {
    if (auto d = parse_go_duration(v.get_string())) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    }
  } else if (v.is_number()) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(v.to_number<double>() * 1000));
  }
  return nbs::make_error(nbs::ErrorKind::invalid_argument,
                         std::string(field) + ": expected a duration such as \"5s\" or a number of seconds");
}

}  // namespace

nbs::Status FaultInjector::apply(const json::object& body) {
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  for (const auto& [key, value] : body) {
    if (key == "refuse_connections" || key == "error_for" || key == "latency" || key == "latency_for") {
      auto d = duration_value(value, key);
      if (!d) {
        return d.error();
      }
      if (key == "refuse_connections") {
        refuse_until_ = now + *d;
      } else if (key == "error_for") {
        error_until_ = now + *d;
      } else if (key == "latency") {
        latency_ = *d;
      } else {
        latency_until_ = now + *d;
      }
    } else if (key == "error_status") {
      const auto code = as_int(value);
      if (!code || (*code != 500 && *code != 503)) {
        return nbs::make_error(nbs::ErrorKind::invalid_argument, "error_status: must be 500 or 503");
      }
      error_status_ = static_cast<unsigned>(*code);
    } else if (key == "error_text") {
      error_text_ = as_text(value);
    } else if (key == "fail_placement") {
      const auto n = as_int(value);
      if (!n || *n < -1) {
        return nbs::make_error(nbs::ErrorKind::invalid_argument, "fail_placement: a count, or -1 for always");
      }
      fail_placements_ = static_cast<int>(*n);
    } else if (key != "lose_alloc" && key != "lose_job") {  // those two act on the state (see router)
      return nbs::make_error(nbs::ErrorKind::invalid_argument, std::string(key) + ": unknown fault");
    }
  }
  return {};
}

void FaultInjector::clear() {
  std::lock_guard lock(mu_);
  refuse_until_ = {};
  error_until_ = {};
  error_text_.clear();
  latency_ = std::chrono::milliseconds(0);
  latency_until_ = Clock::time_point::max();
  fail_placements_ = 0;
}

bool FaultInjector::refusing() const {
  std::lock_guard lock(mu_);
  return Clock::now() < refuse_until_;
}

std::optional<SimResponse> FaultInjector::error_response() const {
  std::lock_guard lock(mu_);
  if (Clock::now() >= error_until_) {
    return std::nullopt;
  }
  const std::string text = !error_text_.empty()   ? error_text_
                           : error_status_ == 503 ? "Service Unavailable"
                                                  : "No cluster leader";
  return text_error(error_status_, text);
}

std::chrono::milliseconds FaultInjector::latency() const {
  std::lock_guard lock(mu_);
  return Clock::now() < latency_until_ ? latency_ : std::chrono::milliseconds(0);
}

bool FaultInjector::take_placement_failure() {
  std::lock_guard lock(mu_);
  if (fail_placements_ == 0) {
    return false;
  }
  if (fail_placements_ > 0) {
    --fail_placements_;
  }
  return true;
}

json::object FaultInjector::describe() const {
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  auto left = [now](Clock::time_point until) {
    return until > now ? std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count() : 0;
  };
  return json::object{
      {"refuse_connections_ms", left(refuse_until_)},
      {"error_status", error_status_},
      {"error_ms", left(error_until_)},
      {"latency_ms", now < latency_until_ ? latency_.count() : 0},
      {"fail_placement", fail_placements_},
  };
}

void RequestStats::count(const std::string& key) {
  std::lock_guard lock(mu_);
  ++counts_[key];
  ++total_;
}

void RequestStats::count_refused() {
  std::lock_guard lock(mu_);
  ++refused_;
}

json::object RequestStats::to_json() const {
  std::lock_guard lock(mu_);
  json::object by_endpoint;
  for (const auto& [k, v] : counts_) {
    by_endpoint[k] = v;
  }
  return json::object{
      {"total", total_}, {"refused_connections", refused_}, {"requests", std::move(by_endpoint)}};
}

void RequestStats::reset() {
  std::lock_guard lock(mu_);
  counts_.clear();
  total_ = 0;
  refused_ = 0;
}

}  // namespace nbs::nomad_sim
