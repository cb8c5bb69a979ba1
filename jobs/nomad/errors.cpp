#include "jobs/nomad/errors.hpp"

#include <array>
#include <string>

#include "common/http_types.hpp"

namespace nbs::jobs::nomad {
namespace {

// Nomad's multierror text spans lines ("1 error occurred:\n\t* x\n\n"); one line reads better.
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += c;
  }
  return out;
}

bool cluster_trouble(std::string_view text) {
  constexpr std::array<std::string_view, 5> k_markers = {"No cluster leader", "rpc error", "i/o timeout",
                                                         "connection refused", "EOF"};
  for (auto marker : k_markers) {
    if (text.find(marker) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

ErrorKind kind_of(int status, std::string_view body, std::string_view method) {
  if (status != 500) {
    return error_kind_of_status(status);
  }
  // Nomad answers 500 for a lost check-and-set, for an invalid job, and for trouble in the cluster.
  if (body.find("Enforcing job modify index") != std::string_view::npos) {
    return ErrorKind::conflict;
  }
  if (method != "GET" && !cluster_trouble(body)) {
    return ErrorKind::invalid_argument;
  }
  return ErrorKind::unavailable;
}

}  // namespace

Error nomad_error(int status, std::string_view body, std::string_view method, std::string_view path) {
  std::string text = one_line(body);
  std::string message =
      "nomad: " + std::string(method) + " " + std::string(path) + ": " + std::to_string(status);
  if (!text.empty()) {
    message += " " + text;
  }
  return make_error(kind_of(status, body, method), std::move(message));
}

}  // namespace nbs::jobs::nomad
