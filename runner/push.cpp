#include "runner/push.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/text.hpp"
#include "runner/buildah_output.hpp"
#include "runner/failure_classes.hpp"
#include "runner/registry/image_ref.hpp"
#include "runner/registry/registries_conf.hpp"

namespace nbs::runner {
namespace {

std::string read_trimmed(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.pop_back();
  }
  return s;
}

// The last lines of one attempt, for the retry decision and the failure message.
class Tail {
 public:
  void add(std::string_view line) {
    lines_.emplace_back(line);
    if (lines_.size() > 20) {
      lines_.pop_front();
    }
  }
  std::string text() const {
    std::string out;
    for (const auto& l : lines_) {
      out += (out.empty() ? "" : "\n") + l;
    }
    return out;
  }

 private:
  std::deque<std::string> lines_;
};

struct Attempt {
  ExitCode code = ExitCode::ok;
  std::string output;
  FailureClass failure_class = FailureClass::internal;
};

Attempt push_once(const PhaseContext& ctx, const Command& command) {
  Tail tail;
  auto r = run_process(
      command,
      [&](LogStream stream, std::string_view line) {
        ctx.log().line(stream, line);
        tail.add(line);
      },
      ctx.run_options(ctx.options().push_stop_grace));
  if (!r) {
    return {ExitCode::push_failed, r.error().message, FailureClass::internal};
  }
  if (r->stopped != StopCause::none && !r->status.success()) {
    return {r->stopped == StopCause::deadline ? ExitCode::deadline : ExitCode::killed, "push interrupted"};
  }
  if (r->status.success()) {
    return {};
  }
  auto output = tail.text();
  const std::string headline = buildah_error_line(output);
  return {ExitCode::push_failed,
          (headline.empty() ? "buildah push: " + r->status.describe()
                            : registry_error_summary("buildah push of", headline)) +
              "\n" + output,
          registry_failure_class(output)};
}

}  // namespace

bool is_transient_registry_error(std::string_view output) {
  return registry_failure_class(output) == FailureClass::registry_unreachable;
}

PushOutcome push_image(const PhaseContext& ctx, const BuildahSetup& setup,
                       const std::optional<UserIdentity>& run_as, const PushSource& source,
                       const std::vector<std::string>& targets, const std::string& digest_dir) {
  PushOutcome outcome;
  const auto& policy = ctx.options().retry;
  auto insecure = registry::load_registries_conf(setup.registries_conf);
  if (!insecure) {
    return {ExitCode::spec_invalid, insecure.error().message};
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (ctx.stop_requested() || ctx.deadline_passed()) {
      return {ctx.failure_code(ExitCode::push_failed), "stopped before pushing " + targets[i], outcome.digest,
              outcome.pushed};
    }
    std::string digest_file = digest_dir + "/digest-" + std::to_string(i);
    const auto target = registry::ImageRef::parse(targets[i]);
    const bool plain_http = target && insecure->contains(target->registry);
    Command command{.argv = source.manifest_list
                                ? manifest_push_argv(setup, source.name, targets[i], digest_file, plain_http)
                                : push_argv(setup, source.name, targets[i], digest_file),
                    .env = buildah_env(setup),
                    .run_as = run_as,
                    .group_ends_with_parent = true};
    auto delay = policy.initial;
    Attempt attempt;
    for (int n = 1; n <= policy.attempts; ++n) {
      std::filesystem::remove(digest_file);
      ctx.log().line(LogStream::none, "$ " + format_argv(command.argv));
      attempt = push_once(ctx, command);
      if (attempt.code == ExitCode::ok || attempt.failure_class != FailureClass::registry_unreachable ||
          n == policy.attempts) {
        break;
      }
      ctx.log().line(LogStream::none, "push: transient registry error, retrying in " +
                                          std::to_string(delay.count()) + " ms (attempt " +
                                          std::to_string(n + 1) + "/" + std::to_string(policy.attempts) +
                                          ")");
      if (!ctx.sleep_for(delay)) {
        attempt = {ctx.failure_code(ExitCode::push_failed), "stopped while waiting to retry"};
        break;
      }
      delay = std::min(delay * 2, policy.max);
    }
    if (attempt.code != ExitCode::ok) {
      return {attempt.code, attempt.output, outcome.digest, outcome.pushed, attempt.failure_class};
    }
    std::string digest = read_trimmed(digest_file);
    if (digest.rfind("sha256:", 0) != 0) {
      return {ExitCode::push_failed, "buildah push wrote no digest for " + targets[i], outcome.digest,
              outcome.pushed};
    }
    if (!outcome.digest.empty() && digest != outcome.digest) {
      return {ExitCode::push_failed, "pushes gave different digests: " + outcome.digest + " and " + digest,
              outcome.digest, outcome.pushed};
    }
    outcome.digest = digest;
    outcome.pushed.push_back(targets[i]);
  }
  // A push that finished inside the stop grace still leaves the phase killed: later work is skipped.
  if (ctx.stop_requested() || ctx.deadline_passed()) {
    outcome.code = ctx.failure_code(ExitCode::push_failed);
  }
  return outcome;
}

}  // namespace nbs::runner
