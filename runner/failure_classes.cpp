#include "runner/failure_classes.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "common/text.hpp"

namespace nbs::runner {

namespace {

template <std::size_t N>
bool contains_any(std::string_view text, const std::array<std::string_view, N>& needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return text.find(n) != std::string_view::npos; });
}

// The instruction of a step header: "[1/2] STEP 3/4: RUN make" → "run make".
std::string step_instruction(std::string_view header) {
  const auto colon = header.find(": ");
  return lower(colon == std::string_view::npos ? header : header.substr(colon + 2));
}

// What follows the first URL of "git fetch http://host:port/path.git: <libgit2's message>", or all of it.
std::string_view after_url(std::string_view message) {
  const auto scheme = message.find("://");
  if (scheme == std::string_view::npos) {
    return message;
  }
  const auto end = message.find(": ", scheme);
  return end == std::string_view::npos ? message : message.substr(end + 2);
}

}  // namespace

FailureClass git_failure_class(const Error& error) {
  switch (error.kind) {
    case ErrorKind::unauthorized:
      return FailureClass::git_auth;
    case ErrorKind::timeout:
      return FailureClass::deadline;
    case ErrorKind::not_found:
    case ErrorKind::invalid_argument:
      if (error.message.starts_with("git_ref:")) {
        return FailureClass::git_ref_not_found;
      }
      break;
    default:
      break;
  }
  // libgit2 over HTTP: a private repository answers 401/403 (some hosts 404) to a client without
  // credentials. Only libgit2's words count: the message starts with the repository URL, whose port or
  // path may hold "403" or "credentials".
  const std::string text = lower(after_url(error.message));
  if (contains_any(text, std::array<std::string_view, 4>{"status code: 401", "status code: 403",
                                                         "authentication", "credentials"})) {
    return FailureClass::git_auth;
  }
  return FailureClass::git_unreachable;
}

FailureClass registry_failure_class(std::string_view output) {
  const std::string text = lower(output);
  static constexpr std::array<std::string_view, 5> k_tls{
      "server gave http response to https client",
      "x509:", "tls: ", "certificate signed by unknown authority", "certificate is not valid"};
  static constexpr std::array<std::string_view, 5> k_auth{"unauthorized", "authentication required",
                                                          "requested access to the resource is denied",
                                                          "denied:", "401 unauthorized"};
  static constexpr std::array<std::string_view, 4> k_missing{"manifest unknown", "name unknown",
                                                             "repository name not known", "not found"};
  static constexpr std::array<std::string_view, 16> k_unreachable{"connection refused",
                                                                  "connection reset",
                                                                  "i/o timeout",
                                                                  "tls handshake timeout",
                                                                  "timeout awaiting",
                                                                  "unexpected eof",
                                                                  ": eof",
                                                                  "broken pipe",
                                                                  "no route to host",
                                                                  "no such host",
                                                                  "too many requests",
                                                                  "500 internal server error",
                                                                  "502 bad gateway",
                                                                  "503 service unavailable",
                                                                  "504 gateway timeout",
                                                                  "server misbehaving"};
  // In this order: a TLS failure often mentions a connection too, and an auth failure a status.
  if (contains_any(text, k_tls)) {
    return FailureClass::registry_tls;
  }
  if (contains_any(text, k_auth)) {
    return FailureClass::registry_auth;
  }
  if (contains_any(text, k_missing)) {
    return FailureClass::base_image_not_found;
  }
  if (contains_any(text, k_unreachable)) {
    return FailureClass::registry_unreachable;
  }
  return FailureClass::internal;
}

FailureClass registry_failure_class(const Error& error) {
  switch (error.kind) {
    case ErrorKind::unauthorized:
      return FailureClass::registry_auth;
    case ErrorKind::unavailable:
    case ErrorKind::timeout:
    case ErrorKind::rate_limited:
      return FailureClass::registry_unreachable;
    default:
      break;
  }
  const FailureClass from_text = registry_failure_class(error.message);
  return from_text == FailureClass::base_image_not_found ? FailureClass::internal : from_text;
}

std::string registry_error_summary(std::string_view what, std::string_view error) {
  std::string out(what);
  if (const auto at = error.find("docker://"); at != std::string_view::npos) {
    std::string_view ref = error.substr(at + 9);
    ref = ref.substr(0, std::min(ref.find(": "), ref.find('"')));
    out.append(" ").append(ref);
  }
  std::vector<std::string_view> links;
  for (std::size_t start = 0;;) {
    const auto end = error.find(": ", start);
    links.push_back(error.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 2;
  }
  out.append(": ");
  if (links.size() >= 2 && links[links.size() - 2] != links.back()) {
    out.append(links[links.size() - 2]).append(": ");
  }
  return out.append(links.back());
}

FailureClass bud_failure_class(std::string_view failing_step, std::string_view output) {
  const std::string text = lower(output);
  // "... was not found in the provided Dockerfile" is Buildah 1.28's word for an undefined target.
  static constexpr std::array<std::string_view, 8> k_syntax{"no from statement found",
                                                            "unknown instruction",
                                                            "dockerfile parse error",
                                                            "parse error on line",
                                                            "could not be found in the dockerfile",
                                                            "was not found in the provided dockerfile",
                                                            "unknown flag",
                                                            "empty continuation line"};
  if (contains_any(text, k_syntax)) {
    return FailureClass::dockerfile_syntax;
  }
  const std::string step = step_instruction(failing_step);
  const bool pulling =
      step.starts_with("from ") ||
      contains_any(text, std::array<std::string_view, 3>{"creating build container", "initializing source",
                                                         "pulling image"});
  if (pulling) {
    switch (registry_failure_class(output)) {
      case FailureClass::registry_auth:
        return FailureClass::base_image_auth;
      case FailureClass::registry_tls:
        return FailureClass::registry_tls;
      case FailureClass::registry_unreachable:
        return FailureClass::registry_unreachable;
      default:
        return FailureClass::base_image_not_found;
    }
  }
  if ((step.starts_with("copy ") || step.starts_with("add ")) &&
      contains_any(text, std::array<std::string_view, 3>{"no such file or directory", "checking on sources",
                                                         "no items matching glob"})) {
    return FailureClass::copy_source_missing;
  }
  return FailureClass::build_step_failed;
}

bool is_transient_buildah_failure(std::string_view output) {
  return output.find("sealing memfd copy: Device or resource busy") != std::string_view::npos;
}

}  // namespace nbs::runner
