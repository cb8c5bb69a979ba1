#include "runner/build_phase.hpp"

#include <filesystem>
#include <fstream>
#include <optional>
#include <unistd.h>

#include "common/grammar.hpp"
#include "common/image_labels.hpp"
#include "common/secret_build_args.hpp"
#include "runner/build_secrets.hpp"
#include "runner/build_user.hpp"
#include "runner/buildah.hpp"
#include "runner/buildah_output.hpp"
#include "runner/dockerfile/finding.hpp"
#include "runner/dockerfile/preflight.hpp"
#include "runner/failure_classes.hpp"
#include "runner/git_checkout.hpp"
#include "runner/git_mirror.hpp"
#include "runner/multi_platform_build.hpp"
#include "runner/publish_phase.hpp"
#include "runner/push.hpp"
#include "runner/registry/auth_file.hpp"
#include "runner/registry/registry_session.hpp"

namespace nbs::runner {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

std::int64_t ms_since(SteadyClock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
}

// Secrets from the credential files are masked in every event from here on.
Result<GitCredentials> load_secrets(const PhaseContext& ctx) {
  auto git = load_git_credentials(ctx.spec().credentials);
  if (!git) {
    return git.error();
  }
  ctx.log().add_secret(git->token);
  ctx.log().add_secret(git->ssh_key);
  if (!ctx.spec().credentials.registry_auth_file.empty()) {
    auto auth = registry::AuthFile::load(ctx.spec().credentials.registry_auth_file);
    if (!auth) {
      return auth.error();
    }
    for (const auto& s : auth->secrets()) {
      ctx.log().add_secret(s);
    }
  }
  return git;
}

PhaseOutcome fetch_source(const PhaseContext& ctx, const GitCredentials& creds, const BuildPaths& paths,
                          PhaseResult& result) {
  const auto& request = ctx.spec().request;
  GitControl control{.credentials = &creds, .stop = &ctx.stop(), .deadline = ctx.deadline()};
  ctx.log().line(LogStream::none, "git: fetching " + request.repo_url + " into the mirror cache");
  auto sync = sync_mirror(ctx.spec().cache_dir, request.repo_url, request.git_ref, control);
  if (!sync) {
    return ctx.fail(ExitCode::git_failed, git_failure_class(sync.error()), sync.error().message);
  }
  const auto& s = sync->stats;
  result.git_received_objects = s.received_objects;
  result.git_received_bytes = s.received_bytes;
  ctx.log().line(LogStream::none, "git: " + std::string(s.created ? "created mirror, " : "") +
                                      "received_objects=" + std::to_string(s.received_objects) +
                                      " received_bytes=" + std::to_string(s.received_bytes) +
                                      " indexed_objects=" + std::to_string(s.indexed_objects) +
                                      " duration_ms=" + std::to_string(s.duration.count()));
  auto checkout =
      checkout_commit(sync->path, request.repo_url, sync->ref.commit, paths.source, control,
                      [&](const std::string& path, const std::string& url) {
                        ctx.log().line(LogStream::none, "git: submodule " + path + " from " + url);
                      });
  if (!checkout) {
    return ctx.fail(ExitCode::git_failed, git_failure_class(checkout.error()), checkout.error().message);
  }
  result.commit = sync->ref.commit;
  result.committed = sync->ref.committed;
  result.ref_kind = sync->ref.kind;
  ctx.log().line(LogStream::none,
                 "git: checked out " + sync->ref.kind + " " + request.git_ref + " at " + sync->ref.commit);
  return {};
}

Result<BuildahSetup> prepare_buildah(const PhaseContext& ctx, const BuildIdentity& identity,
                                     const BuildPaths& paths) {
  std::error_code ec;
  for (const auto& dir : {paths.storage, paths.run_root, paths.tmp}) {
    fs::create_directories(dir, ec);
    if (ec) {
      return make_error(ErrorKind::internal, "cannot create " + dir + ": " + ec.message());
    }
  }
  // The build user must own the graph root it writes and everything of this build; the checkout only
  // needs reading, but owning it costs nothing and keeps odd file modes from getting in the way.
  for (const auto& [path, recursive] :
       {std::pair{paths.storage, false}, std::pair{paths.buildah, true}, std::pair{paths.source, true}}) {
    if (auto s = give_to_build_user(identity, path, recursive); !s) {
      return s.error();
    }
  }
  BuildahSetup setup{.program = ctx.options().buildah,
                     .storage_root = paths.storage,
                     .run_root = paths.run_root,
                     .driver = ctx.spec().storage_driver,
                     .registries_conf = ctx.spec().registries_conf,
                     .home = identity.home,
                     .tmp_dir = paths.tmp};
  // Buildah (maybe another user) reads a private copy of the auth file.
  if (!ctx.spec().credentials.registry_auth_file.empty()) {
    setup.auth_file = paths.buildah + "/auth.json";
    fs::copy_file(ctx.spec().credentials.registry_auth_file, setup.auth_file,
                  fs::copy_options::overwrite_existing, ec);
    if (ec) {
      return make_error(ErrorKind::internal, "credentials.registry_auth_file: copy failed: " + ec.message());
    }
    fs::permissions(setup.auth_file, fs::perms::owner_read | fs::perms::owner_write, ec);
    if (auto s = give_to_build_user(identity, setup.auth_file, false); !s) {
      return s.error();
    }
  }
  return setup;
}

// The dialect of the node's Buildah (whether it reads heredocs); when it cannot be asked, the newer
// one, which reports less.
dockerfile::Dialect buildah_dialect(const BuildahSetup& setup) {
  auto r = capture_process(Command{.argv = {setup.program, "--version"}, .env = buildah_env(setup)});
  if (r && r->status.success()) {
    if (auto dialect = dockerfile::dialect_of_buildah(r->out)) {
      return *dialect;
    }
  }
  return dockerfile::Dialect::heredoc;
}

FailureClass failure_class_of(dockerfile::FindingClass kind) {
  return kind == dockerfile::FindingClass::copy_source_missing ? FailureClass::copy_source_missing
                                                               : FailureClass::dockerfile_syntax;
}

// Checks the Dockerfile before Buildah starts (runner/dockerfile/): findings fail the phase, one line
// each, with the class and the place of the first; otherwise `plan` counts the steps Buildah will run
// (none when the preflight did not look).
PhaseOutcome preflight(const PhaseContext& ctx, const BuildahSetup& setup, const BuildPaths& paths,
                       std::optional<dockerfile::StepPlan>& plan) {
  constexpr std::size_t k_max_findings = 20;
  const auto& request = ctx.spec().request;
  const auto start = SteadyClock::now();
  auto report = dockerfile::run_preflight({.repository = paths.source,
                                           .dockerfile_path = request.dockerfile_path,
                                           .context_path = request.dockerfile_context,
                                           .build_args = request.build_args,
                                           .target = request.target,
                                           .dialect = [&] { return buildah_dialect(setup); }});
  if (!report) {
    return ctx.fail(ExitCode::build_failed, FailureClass::dockerfile_syntax, report.error().message);
  }
  if (!report->skipped.empty()) {
    ctx.log().line(LogStream::none, "preflight: skipped, " + report->skipped);
    return {};
  }
  const auto& findings = report->findings;
  if (!findings.empty()) {
    std::string message;
    for (std::size_t i = 0; i < findings.size() && i < k_max_findings; ++i) {
      message += (i > 0 ? "\n" : "") + dockerfile::describe(findings[i], request.dockerfile_path);
    }
    if (findings.size() > k_max_findings) {
      message += "\n(and " + std::to_string(findings.size() - k_max_findings) + " more)";
    }
    const auto& first = findings.front();
    const std::string location =
        first.line > 0 ? request.dockerfile_path + ":" + std::to_string(first.line) : std::string();
    return ctx.fail(ExitCode::build_failed, failure_class_of(first.kind), message, std::nullopt, location);
  }
  plan = std::move(report->plan);
  ctx.log().line(LogStream::none, "preflight: " + request.dockerfile_path + " ok, " +
                                      std::to_string(plan->total_steps) + " steps in " +
                                      std::to_string(plan->stages.size()) + " stage(s), " +
                                      std::to_string(ms_since(start)) + " ms");
  return {};
}

// A FROM whose image could not be pulled: Buildah's error is a long chain, the summary its short form.
bool is_pull_failure(FailureClass c) {
  return c == FailureClass::base_image_not_found || c == FailureClass::base_image_auth ||
         c == FailureClass::registry_tls || c == FailureClass::registry_unreachable;
}

// "Dockerfile:12", the line of the step that ran last, when the preflight's plan knows it.
std::string step_location(const std::string& dockerfile_path, const BuildOutputTracker& tracker) {
  const auto& step = tracker.last_step();
  return step && step->line > 0 ? dockerfile_path + ":" + std::to_string(step->line) : std::string();
}

// Why Buildah was stopped, in one line: "build_timeout of 30s reached during step 2 of 2 (RUN make)".
std::string stop_message(StopCause cause, std::chrono::seconds build_timeout,
                         const BuildOutputTracker& tracker) {
  std::string message = cause == StopCause::deadline
                            ? "build_timeout of " + grammar::format_duration(build_timeout) + " reached"
                            : "the build was stopped on request";
  if (const auto& step = tracker.last_step()) {
    message += " during step " + std::to_string(step->overall_step) + " of " +
               std::to_string(step->overall_steps) + " (" + dockerfile::clip(step->instruction) + ")";
  } else {
    message += " before the first step";
  }
  return message;
}

// What run_bud() leaves for the push: one image, or a manifest list and the images in it.
struct BuiltImage {
  PushSource source;
  std::vector<std::string> list_images;
};

PhaseOutcome run_bud(const PhaseContext& ctx, const BuildahSetup& setup, const BuildIdentity& identity,
                     const BuildPaths& paths, PhaseResult& result, BuiltImage& built) {
  const auto& request = ctx.spec().request;
  BudOptions options{.dockerfile = (fs::path(paths.source) / request.dockerfile_path).string(),
                     .context = (fs::path(paths.source) / request.dockerfile_context).string(),
                     .build_args = request.build_args,
                     .target = request.target,
                     .platforms = request.platforms,
                     .labels = image_labels(request, result.commit, result.committed.value_or(now_utc())),
                     .iid_file = paths.iid_file,
                     .tag = "localhost/nbs/" + ctx.spec().job_id + ":build",
                     .no_cache = request.clear_cache,
                     .cache_repository = cache_repository(request, {})};
  if (builds_manifest_list(request)) {
    options.manifest = manifest_list_name(ctx.spec().job_id);
    ctx.log().line(LogStream::none, "build: " + std::to_string(request.platforms.size()) +
                                        " platforms into the manifest list " + options.manifest +
                                        ", every step run (no layer cache for a multi-platform build)");
  }
  options.secret_build_args = secret_build_arg_values(request);
  for (const auto& [name, value] : options.secret_build_args) {
    options.build_args.erase(name);
  }
  if (!fs::is_regular_file(options.dockerfile)) {
    return ctx.fail(ExitCode::build_failed, FailureClass::dockerfile_syntax,
                    "dockerfile_path: " + request.dockerfile_path + " is not a file in the repository at " +
                        result.commit);
  }
  if (!fs::is_directory(options.context)) {
    return ctx.fail(
        ExitCode::build_failed, FailureClass::dockerfile_syntax,
        "dockerfile_context: " + request.dockerfile_context + " is not a directory in the repository");
  }
  std::optional<dockerfile::StepPlan> plan;
  if (auto checked = preflight(ctx, setup, paths, plan); checked.code != ExitCode::ok) {
    return checked;
  }
  // Only a job that names platforms asks what this node can run.
  const NodePlatforms node = request.platforms.empty() ? NodePlatforms{} : node_platforms();
  if (plan) {
    if (auto checked = check_platforms(ctx, *plan, request.platforms, node); checked.code != ExitCode::ok) {
      return checked;
    }
  }
  // Outside the build context, and gone when this function returns, however the build ends.
  auto secrets = StagedBuildSecrets::stage(
      ctx.spec(), identity, (fs::path(ctx.spec().work_dir) / "build-secrets").string(), paths.tmp, ctx.log());
  if (!secrets) {
    return ctx.fail(ExitCode::build_failed, FailureClass::internal, secrets.error().message);
  }
  options.secrets = secrets->secrets();
  options.ssh = secrets->ssh();
  BuildahSetup bud_setup = setup;
  if (!secrets->ssh_tmp_dir().empty()) {
    bud_setup.tmp_dir = secrets->ssh_tmp_dir();
  }
  // The RUN steps run under buildah's user-namespace helper: the tree goes if this runner is killed.
  Command command{.argv = bud_argv(bud_setup, options),
                  .env = bud_env(bud_setup, options),
                  .run_as = identity.run_as,
                  .group_ends_with_parent = true};
  ctx.log().line(LogStream::none, "$ " + format_argv(command.argv));
  PlatformOutput platform_output(request.platforms.empty() ? std::string() : request.platforms.front());
  auto run_bud_once = [&](BuildOutputTracker& tracker) {
    tracker.expect_label_steps(static_cast<int>(options.labels.size()));
    return run_process(
        command,
        [&](LogStream stream, std::string_view line) {
          const auto tracked =
              options.manifest.empty() ? std::optional(line) : platform_output.for_tracker(line);
          if (!tracked) {
            ctx.log().line(stream, line);
            return;
          }
          if (auto step = tracker.feed(stream, *tracked)) {
            ctx.log().step(step->overall_step, step->overall_steps, step_event_text(*step),
                           step->stage_label);
          }
          ctx.log().line(stream, line);
        },
        ctx.run_options());
  };
  BuildOutputTracker tracker = plan ? BuildOutputTracker(*plan) : BuildOutputTracker();
  auto r = run_bud_once(tracker);
  if (r && r->stopped == StopCause::none && !r->status.success() &&
      is_transient_buildah_failure(tracker.failure_excerpt())) {
    // The node's trouble, not the Dockerfile's; the second run finds the steps before it in the cache.
    ctx.log().line(LogStream::none, "build: Buildah failed on the node (" +
                                        buildah_error_line(tracker.failure_excerpt()) +
                                        "), running bud once more");
    tracker = plan ? BuildOutputTracker(*plan) : BuildOutputTracker();
    r = run_bud_once(tracker);
  }
  result.steps = tracker.steps_seen();
  result.cached_steps = tracker.cached_steps();
  if (!options.manifest.empty()) {
    // Set before any failure return: a failed or stopped build's list and images are removed too.
    built = {.source = {.name = options.manifest, .manifest_list = true},
             .list_images = platform_output.image_ids()};
  }
  if (!r) {
    return ctx.fail(ExitCode::not_ready, FailureClass::internal, "buildah: " + r.error().message);
  }
  const std::string location = step_location(request.dockerfile_path, tracker);
  if (r->stopped != StopCause::none) {
    // ctx.fail() gives it the class deadline or killed.
    return ctx.fail(ExitCode::build_failed, FailureClass::internal,
                    stop_message(r->stopped, request.build_timeout, tracker), std::nullopt, location);
  }
  if (!r->status.success()) {
    auto status = tracker.failed_exit_status();
    if (!status) {
      status = r->status.code;
    }
    const std::string excerpt = tracker.failure_excerpt();
    // Buildah's own last "Error: …" line says the most in one line; the step's lines follow it.
    std::string headline = buildah_error_line(excerpt);
    const FailureClass failure_class = bud_failure_class(tracker.current_step(), excerpt);
    if (const std::string foreign = foreign_binary_message(excerpt, request.platforms, node);
        !foreign.empty()) {
      return ctx.fail(ExitCode::build_failed, FailureClass::placement, foreign + "\n" + excerpt, status,
                      location);
    }
    if (headline.empty()) {
      headline = "buildah bud failed (" + r->status.describe() + ")";
    } else if (is_pull_failure(failure_class)) {
      headline = registry_error_summary("FROM", headline);
    }
    return ctx.fail(ExitCode::build_failed, failure_class, headline + "\n" + excerpt, status, location);
  }
  if (!options.manifest.empty()) {
    ctx.log().line(LogStream::none,
                   "build: " + std::to_string(built.list_images.size()) + " images in " + options.manifest);
    return {};
  }
  std::ifstream iid(paths.iid_file);
  std::getline(iid, result.image_id);
  ctx.log().line(LogStream::none, "build: image " + result.image_id + ", " +
                                      std::to_string(result.cached_steps) + " of " +
                                      std::to_string(result.steps) + " steps from cache");
  built = {.source = {.name = options.tag}};
  return {};
}

// The size in the registry (compressed layers and config); a failure here only costs the number.
void record_size(const PhaseContext& ctx, PhaseResult& result) {
  auto session = registry::RegistrySession::open(ctx.spec());
  auto ref = registry::ImageRef::parse(result.tags.front());
  if (!session || !ref) {
    return;
  }
  auto& client = (*session)->client();
  auto manifest = client.get_manifest(*ref);
  auto size = manifest ? image_size(client, *ref, *manifest) : Result<std::int64_t>(manifest.error());
  if (!size) {
    ctx.log().line(LogStream::none, "build: image size unknown: " + size.error().message);
    return;
  }
  result.size = *size;
}

}  // namespace

BuildPaths build_paths(const RunnerSpec& spec) {
  fs::path work(spec.work_dir);
  return BuildPaths{.source = (work / "src").string(),
                    .buildah = (work / "buildah").string(),
                    .run_root = (work / "buildah" / "run").string(),
                    .tmp = (work / "buildah" / "tmp").string(),
                    .iid_file = (work / "buildah" / "iid").string(),
                    .storage = (fs::path(spec.cache_dir) / "storage").string()};
}

PhaseOutcome run_build_phase(const PhaseContext& ctx, PhaseResult& result) {
  const auto& spec = ctx.spec();
  auto total_start = SteadyClock::now();
  result.git_ref = spec.request.git_ref;
  auto creds = load_secrets(ctx);
  if (!creds) {
    return ctx.fail(ExitCode::spec_invalid, FailureClass::internal, creds.error().message);
  }
  auto identity = choose_build_identity(spec.build_user, ctx.options().allow_root);
  if (!identity) {
    return ctx.fail(ExitCode::not_ready, FailureClass::internal, identity.error().message);
  }
  auto paths = build_paths(spec);
  // A Nomad task inherits the client agent's HOME (often /root), which the task user cannot read;
  // Buildah then fails on its config lookup. It gets a home of its own in the work dir instead.
  if (!identity->run_as && ::access(identity->home.c_str(), R_OK | W_OK | X_OK) != 0) {
    identity->home = (fs::path(spec.work_dir) / "home").string();
    std::error_code ec;
    fs::create_directories(identity->home, ec);
  }

  auto start = SteadyClock::now();
  if (auto o = fetch_source(ctx, *creds, paths, result); o.code != ExitCode::ok) {
    return o;
  }
  result.timings_ms["git"] = ms_since(start);

  auto setup = prepare_buildah(ctx, *identity, paths);
  if (!setup) {
    return ctx.fail(ExitCode::internal, FailureClass::internal, setup.error().message);
  }
  start = SteadyClock::now();
  BuiltImage built;
  auto bud = run_bud(ctx, *setup, *identity, paths, result, built);
  result.timings_ms["build"] = ms_since(start);
  if (bud.code != ExitCode::ok) {
    if (built.source.manifest_list) {
      remove_manifest_list(ctx, *setup, identity->run_as, built.source.name, built.list_images);
    }
    return bud;
  }

  start = SteadyClock::now();
  auto pushed = push_image(ctx, *setup, identity->run_as, built.source, spec.push_targets(), paths.buildah);
  result.timings_ms["push"] = ms_since(start);
  result.digest = pushed.digest;
  result.tags = pushed.pushed;
  if (built.source.manifest_list) {
    remove_manifest_list(ctx, *setup, identity->run_as, built.source.name, built.list_images);
  }
  result.timings_ms["total"] = ms_since(total_start);
  if (pushed.code != ExitCode::ok) {
    return ctx.fail(pushed.code, pushed.failure_class, pushed.message);
  }
  if (built.source.manifest_list) {
    auto digests = read_platform_digests(ctx, result.tags.front());
    if (!digests) {
      return ctx.fail(ExitCode::push_failed, registry_failure_class(digests.error()),
                      "reading back the pushed index: " + digests.error().message);
    }
    result.platform_digests = std::move(*digests);
  }
  record_size(ctx, result);
  ctx.log().result(result.digest, "pushed " + std::to_string(result.tags.size()) + " tag(s)");
  return {ExitCode::ok, "pushed " + result.digest};
}

}  // namespace nbs::runner
