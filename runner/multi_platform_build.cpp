#include "runner/multi_platform_build.hpp"

#include <algorithm>
#include <cctype>

#include "common/process.hpp"
#include "runner/registry/registry_session.hpp"

namespace nbs::runner {
namespace {

bool is_image_id(std::string_view line) {
  return line.size() == 64 && std::all_of(line.begin(), line.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ", ") + item;
  }
  return out;
}

}  // namespace

bool builds_manifest_list(const JobRequest& request) {
  return request.platforms.size() > 1;
}

std::string manifest_list_name(std::string_view job_id) {
  return "localhost/nbs/" + std::string(job_id) + ":list";
}

PhaseOutcome check_platforms(const PhaseContext& ctx, const dockerfile::StepPlan& plan,
                             const std::vector<std::string>& platforms, const NodePlatforms& node) {
  const int run_line = plan.first_run_line();
  if (run_line == 0) {
    return {};
  }
  std::vector<std::string> foreign;
  for (const auto& p : platforms) {
    if (!node.can_run(p)) {
      foreign.push_back(p);
    }
  }
  if (foreign.empty()) {
    return {};
  }
  const auto& dockerfile = ctx.spec().request.dockerfile_path;
  const std::string location = dockerfile + ":" + std::to_string(run_line);
  return ctx.fail(ExitCode::build_failed, FailureClass::placement,
                  "platforms: " + join(foreign) + " need emulation to RUN (" + location +
                      "): this node runs " + node.describe() +
                      " and has no binfmt_misc/qemu-user for them; build them on a node that has, or "
                      "without RUN steps (COPY a prebuilt binary per platform)",
                  std::nullopt, location);
}

std::string foreign_binary_message(std::string_view excerpt, const std::vector<std::string>& platforms,
                                   const NodePlatforms& node) {
  // Without `platforms` the build is for the node's own platform: a foreign binary is the Dockerfile's.
  if (platforms.empty() || excerpt.find("exec format error") == std::string_view::npos) {
    return {};
  }
  return "a RUN step executed a binary of another platform (exec format error): this node runs " +
         node.describe() + ", the build asked for " + join(platforms);
}

std::optional<std::string_view> PlatformOutput::for_tracker(std::string_view line) {
  auto prefixed = split_platform_prefix(line);
  const std::string_view rest = prefixed ? prefixed->second : line;
  if (is_image_id(rest)) {
    image_ids_.emplace_back(rest);
  }
  if (prefixed && prefixed->first != first_) {
    return std::nullopt;
  }
  return rest;
}

Result<std::map<std::string, std::string>> read_platform_digests(const PhaseContext& ctx,
                                                                 const std::string& reference) {
  auto session = registry::RegistrySession::open(ctx.spec());
  if (!session) {
    return session.error();
  }
  auto ref = registry::ImageRef::parse(reference);
  if (!ref) {
    return ref.error();
  }
  auto index = (*session)->client().get_manifest(*ref);
  if (!index) {
    return index.error();
  }
  if (!index->is_index()) {
    return make_error(ErrorKind::internal, reference + " is " + index->media_type + ", not an image index");
  }
  auto children = index->children();
  if (!children) {
    return children.error();
  }
  std::map<std::string, std::string> out;
  for (const auto& child : *children) {
    out[child.platform] = child.digest;
  }
  return out;
}

void remove_manifest_list(const PhaseContext& ctx, const BuildahSetup& setup,
                          const std::optional<UserIdentity>& run_as, const std::string& list,
                          const std::vector<std::string>& image_ids) {
  std::vector<std::vector<std::string>> commands{manifest_rm_argv(setup, list)};
  if (!image_ids.empty()) {
    commands.push_back(rmi_argv(setup, image_ids));
  }
  for (auto& argv : commands) {
    Command command{
        .argv = std::move(argv), .env = buildah_env(setup), .run_as = run_as, .group_ends_with_parent = true};
    std::string output;
    // Not stopped by the phase's stop or deadline: this also runs after a killed build, briefly.
    auto r = run_process(
        command, [&](LogStream, std::string_view line) { output += std::string(line) + "\n"; },
        RunOptions{.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10)});
    if (!r || !r->status.success()) {
      ctx.log().line(LogStream::none, "build: could not remove the local manifest list: " +
                                          (r ? r->status.describe() + ": " + output : r.error().message));
    }
  }
}

}  // namespace nbs::runner
