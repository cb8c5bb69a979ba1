#include "runner/dockerfile/preflight.hpp"

#include <charconv>
#include <fstream>
#include <iterator>

#include "common/text.hpp"
#include "runner/dockerfile/checker.hpp"
#include "runner/dockerfile/dockerignore.hpp"
#include "runner/dockerfile/stages.hpp"

namespace nbs::runner::dockerfile {
namespace {

namespace fs = std::filesystem;

// Buildah reads heredocs and the syntax directive from 1.33 on.
constexpr int k_heredoc_major = 1;
constexpr int k_heredoc_minor = 33;

std::string context_label(const std::string& context_path) {
  auto cleaned = fs::path(context_path).lexically_normal().generic_string();
  while (!cleaned.empty() && cleaned.back() == '/') {
    cleaned.pop_back();
  }
  if (cleaned.empty() || cleaned == ".") {
    return "the repository root";
  }
  return cleaned + "/";
}

// True unless `path`, its links followed, is `root` or below it. The runner may run as root and
// Buildah as the build user: what the repository links to outside itself is not the preflight's to
// read (its messages quote the Dockerfile), and Buildah resolves the context's links differently.
bool links_out(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  auto real = fs::weakly_canonical(path, ec);
  if (ec) {
    return true;
  }
  auto relative = real.lexically_relative(root);
  return relative.empty() || *relative.begin() == "..";
}

}  // namespace

PreflightReport check_dockerfile(std::string_view text, const PreflightOptions& options,
                                 const BuildContext& context) {
  auto file = parse(text, options.dialect);
  auto graph = build_stage_graph(file, options.target);
  PreflightReport report;
  report.findings = Checker(file, graph, options, context).run();
  report.plan = plan_steps(file, graph);
  return report;
}

bool dialect_matters(std::string_view text) {
  if (text.find("<<") != std::string_view::npos) {
    return true;
  }
  return lower(text.substr(0, 4096)).find("escape") != std::string::npos;  // directives live at the top
}

std::optional<Dialect> dialect_of_buildah(std::string_view output) {
  constexpr std::string_view k_prefix = "version ";
  auto at = output.find(k_prefix);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  auto rest = output.substr(at + k_prefix.size());
  int major = 0;
  int minor = 0;
  auto r1 = std::from_chars(rest.data(), rest.data() + rest.size(), major);
  if (r1.ec != std::errc() || r1.ptr == rest.data() + rest.size() || *r1.ptr != '.') {
    return std::nullopt;
  }
  auto r2 = std::from_chars(r1.ptr + 1, rest.data() + rest.size(), minor);
  if (r2.ec != std::errc()) {
    return std::nullopt;
  }
  const bool heredocs = major > k_heredoc_major || (major == k_heredoc_major && minor >= k_heredoc_minor);
  return heredocs ? Dialect::heredoc : Dialect::classic;
}

Result<PreflightReport> run_preflight(const PreflightInput& input) {
  const auto repository = input.repository.lexically_normal();
  const auto dockerfile = (repository / input.dockerfile_path).lexically_normal();
  const auto context_dir = (repository / input.context_path).lexically_normal();
  std::error_code ec;
  const auto root = fs::weakly_canonical(repository, ec);
  if (links_out(root, dockerfile)) {
    return PreflightReport{.skipped = input.dockerfile_path + " links out of the repository"};
  }
  if (links_out(root, context_dir)) {
    return PreflightReport{.skipped = "the context " + fs::path(input.context_path).generic_string() +
                                      " links out of the repository"};
  }
  std::ifstream in(dockerfile, std::ios::binary);
  if (!in.is_open()) {
    return make_error(ErrorKind::invalid_argument,
                      "dockerfile_path: cannot read " + input.dockerfile_path + " in the repository");
  }
  auto ignore = load_ignore_file(dockerfile, context_dir);
  if (!ignore.path.empty() && links_out(root, ignore.path)) {
    return PreflightReport{.skipped = ignore.path.lexically_relative(repository).generic_string() +
                                      " links out of the repository"};
  }
  PreflightOptions options{.build_args = input.build_args,
                           .target = input.target,
                           .context_label = context_label(input.context_path),
                           .ignore_file_label = ignore.path.lexically_relative(repository).generic_string()};
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (input.dialect && dialect_matters(content)) {
    options.dialect = input.dialect();
  }
  BuildContext context(context_dir, std::move(ignore.rules));
  return check_dockerfile(content, options, context);
}

}  // namespace nbs::runner::dockerfile
