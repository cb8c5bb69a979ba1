#include "common/failure.hpp"

#include <array>
#include <utility>

#include <boost/json/array.hpp>

namespace nbs {

namespace {

constexpr std::array<std::pair<FailureClass, std::string_view>, 17> k_names{{
    {FailureClass::git_auth, "git_auth"},
    {FailureClass::git_ref_not_found, "git_ref_not_found"},
    {FailureClass::git_unreachable, "git_unreachable"},
    {FailureClass::dockerfile_syntax, "dockerfile_syntax"},
    {FailureClass::copy_source_missing, "copy_source_missing"},
    {FailureClass::base_image_not_found, "base_image_not_found"},
    {FailureClass::base_image_auth, "base_image_auth"},
    {FailureClass::build_step_failed, "build_step_failed"},
    {FailureClass::test_failed, "test_failed"},
    {FailureClass::test_no_shell, "test_no_shell"},
    {FailureClass::registry_auth, "registry_auth"},
    {FailureClass::registry_tls, "registry_tls"},
    {FailureClass::registry_unreachable, "registry_unreachable"},
    {FailureClass::deadline, "deadline"},
    {FailureClass::placement, "placement"},
    {FailureClass::killed, "killed"},
    {FailureClass::internal, "internal"},
}};

// " (Dockerfile:3)" when the failure has a location.
std::string where(const Failure& f) {
  return f.location.empty() ? std::string() : " (" + f.location + ")";
}

}  // namespace

std::string_view to_string(FailureClass c) {
  for (const auto& [value, name] : k_names) {
    if (value == c) {
      return name;
    }
  }
  return "internal";
}

std::optional<FailureClass> parse_failure_class(std::string_view text) {
  for (const auto& [value, name] : k_names) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

boost::json::object to_json(const Failure& f) {
  boost::json::object o{
      {"class", to_string(f.failure_class)}, {"phase", f.phase}, {"task", f.task}, {"summary", f.summary}};
  if (!f.location.empty()) {
    o["location"] = f.location;
  }
  o["evidence"] = boost::json::array(f.evidence.begin(), f.evidence.end());
  return o;
}

Failure parse_failure(const boost::json::object& o) {
  auto text = [&](std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  Failure f;
  f.failure_class = parse_failure_class(text("class")).value_or(FailureClass::internal);
  f.phase = text("phase");
  f.task = text("task");
  f.summary = text("summary");
  f.location = text("location");
  if (const auto* e = o.if_contains("evidence"); e != nullptr && e->is_array()) {
    for (const auto& line : e->get_array()) {
      if (line.is_string()) {
        f.evidence.emplace_back(line.get_string());
      }
    }
  }
  return f;
}

std::string next_step_for(const Failure& f) {
  switch (f.failure_class) {
    case FailureClass::git_auth:
      return "The repository refused access: pass credentials (git_credentials_path on Nomad, or a token the "
             "operator configured) or use a repository the service can read, then submit again.";
    case FailureClass::git_ref_not_found:
      return "git_ref names no branch, tag or commit of repo_url: push it, or submit with an existing ref.";
    case FailureClass::git_unreachable:
      return "repo_url did not answer or has no repository there: check the URL (scheme, host, path) and "
             "submit "
             "again.";
    case FailureClass::dockerfile_syntax:
      return "Fix the Dockerfile" + where(f) + " as the summary says, commit, and submit again.";
    case FailureClass::copy_source_missing:
      return "A COPY/ADD source is not in the build context" + where(f) +
             ": paths are relative to dockerfile_context (and .dockerignore may exclude them); fix the path "
             "or "
             "the context, commit, and submit again.";
    case FailureClass::base_image_not_found:
      return "The FROM image" + where(f) +
             " does not exist in its registry: fix the name or tag (or the "
             "BASE_IMAGE-style build arg), and submit again.";
    case FailureClass::base_image_auth:
      return "The FROM image" + where(f) +
             " needs registry credentials: pass registry_credentials_path "
             "(Nomad) or ask the operator for the registry's auth file, or use a public base image.";
    case FailureClass::build_step_failed:
      return "A build step failed" + where(f) +
             ": read evidence (more with getLogs phase=build), fix the step or what it runs, commit, and "
             "submit again.";
    case FailureClass::test_failed:
      return "Test task " + f.task + " failed: read evidence (or getLogs phase=test task=" + f.task +
             "), fix the code or the test, and submit again.";
    case FailureClass::test_no_shell:
      return "The image has no /bin/sh for test.commands: add a shell to the image, or drop test.commands "
             "and "
             "set test.entry_point: true to run the image's own ENTRYPOINT and CMD.";
    case FailureClass::registry_auth:
      return "The registry refused the push: check registry_credentials_path (or the operator's auth file) "
             "grants push to this repository, or publish to a registry you can write.";
    case FailureClass::registry_tls:
      return "The registry speaks plain HTTP or shows a certificate this node does not trust: use https with "
             "a "
             "trusted certificate, or have the operator mark it insecure in registries.conf "
             "([[registry]] location=\"host:port\", insecure=true).";
    case FailureClass::registry_unreachable:
      return "The registry did not answer (after retries): check the registry address and that it is up, "
             "then "
             "submit again.";
    case FailureClass::deadline:
      // Named as the job schema spells them: build_timeout at the top, timeout inside test.
      return "The " + f.phase + " phase ran out of time: make it faster or raise " +
             (f.phase == "test" ? "test.timeout" : "build_timeout") + " in the job, and submit again.";
    case FailureClass::placement:
      if (f.phase == "build" && !f.location.empty()) {  // a RUN step of a platform the node cannot run
        return "The node cannot run the RUN at " + f.location +
               " for every platform asked for: drop the platforms it cannot run, COPY a prebuilt binary per "
               "platform instead of RUN, or ask the operator for nodes with binfmt_misc/qemu-user emulation.";
      }
      return "The cluster could not place the " + f.phase +
             " phase: lower its resources (cpu, memory, gpu) or "
             "ask the operator about capacity and constraints, then submit again.";
    case FailureClass::killed:
      return "The job was killed; submit it again if you still need the image.";
    case FailureClass::internal:
      return "The build service failed, not your repository: submit the same job again; if it fails the same "
             "way, report it to the operator with the job id.";
  }
  return "";
}

namespace {

bool is_hex_id(std::string_view text) {
  return text.size() >= 12 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// "STEP 3/4: RUN make", also as "[1/2] STEP 3/4: RUN make" in multi-stage builds.
bool is_step_echo(std::string_view line) {
  if (line.starts_with("[")) {
    const auto close = line.find("] ");
    if (close == std::string_view::npos) {
      return false;
    }
    line.remove_prefix(close + 2);
  }
  if (!line.starts_with("STEP ")) {
    return false;
  }
  line.remove_prefix(5);
  const auto colon = line.find(": ");
  const auto numbers = line.substr(0, colon);
  return colon != std::string_view::npos && numbers.find('/') != std::string_view::npos &&
         numbers.find_first_not_of("0123456789/") == std::string_view::npos;
}

}  // namespace

bool is_tool_noise(std::string_view line) {
  static constexpr std::array<std::string_view, 14> k_noise_prefixes{
      "$ ",  // a command line echoed before it runs
      "--> Using cache ",
      "COMMIT ",
      "Trying to pull ",
      "Getting image source signatures",
      "Copying blob ",
      "Copying config ",
      "Writing manifest to image destination",
      "Storing signatures",
      "Successfully tagged ",
      "Pulling image ",
      "Resolving \"",
      "Resolved \"",
      "Pushing image ",
  };
  for (auto prefix : k_noise_prefixes) {
    if (line.starts_with(prefix)) {
      return true;
    }
  }
  if (line.starts_with("--> ") && is_hex_id(line.substr(4))) {
    return true;  // the layer Buildah committed
  }
  return is_step_echo(line) || (line.size() == 64 && is_hex_id(line)) ||
         line.find_first_not_of(" \t\r") == std::string_view::npos;
}

std::vector<std::string> pick_evidence(const std::vector<std::string>& lines) {
  // Buildah prints how a RUN's process ended ("… with status 3", "… on terminated") once per process
  // (the RUN shell and its runtime): said once.
  static constexpr std::string_view k_exit_status = "subprocess exited ";
  std::vector<std::string> picked;
  std::size_t bytes = 0;
  bool exit_status_seen = false;
  for (auto it = lines.rbegin(); it != lines.rend() && picked.size() < k_max_evidence_lines; ++it) {
    if (is_tool_noise(*it)) {
      continue;
    }
    if (it->starts_with(k_exit_status)) {
      if (exit_status_seen) {
        continue;
      }
      exit_status_seen = true;
    }
    const std::size_t room = k_max_evidence_bytes - bytes;
    if (room < 16) {
      break;
    }
    std::string line = *it;
    if (line.size() > room) {
      std::size_t cut = room - 3;
      while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
        --cut;  // not inside a UTF-8 sequence
      }
      line = line.substr(0, cut) + "...";
    }
    bytes += line.size();
    picked.push_back(std::move(line));
  }
  return {picked.rbegin(), picked.rend()};
}

std::vector<std::string> pick_evidence(const std::vector<std::string>& lines, std::string_view summary) {
  static constexpr std::string_view k_error = "Error: ";
  std::vector<std::string> kept;
  kept.reserve(lines.size());
  for (const auto& line : lines) {
    const bool quoted = line.starts_with(k_error) && line.size() > k_error.size() &&
                        summary.find(std::string_view(line).substr(k_error.size())) != std::string_view::npos;
    if (!quoted) {
      kept.push_back(line);
    }
  }
  return pick_evidence(kept);
}

}  // namespace nbs
