// Which paths of the build context Buildah leaves out of COPY and ADD: the patterns of the ignore file,
// with Docker's semantics. Each pattern is a Go filepath.Match pattern where `**` spans directories; a
// pattern that matches a directory also matches what is below it; `!` makes an exception; the last
// pattern that matches a path decides. Patterns become RE2 regular expressions (Go's regexp is RE2),
// built the way Buildah's pattern matcher builds them.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace nbs::runner::dockerfile {

class IgnoreRules {
 public:
  IgnoreRules();
  IgnoreRules(IgnoreRules&&) noexcept;
  IgnoreRules& operator=(IgnoreRules&&) noexcept;
  ~IgnoreRules();

  // The rules of an ignore file's text (comments, blanks and patterns Buildah cannot use are skipped).
  static IgnoreRules parse(std::string_view text);

  // `path` is relative to the context, with `/` separators and no leading `/`.
  bool excluded(std::string_view path) const;
  bool has_exceptions() const { return has_exceptions_; }
  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::unique_ptr<re2::RE2> regex;
    bool exception = false;
    std::size_t depth = 0;  // the pattern's path components
  };
  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

// The parts of a slash-separated path, without empty and "." parts ("/a/./b/" gives a, b).
std::vector<std::string_view> path_components(std::string_view path);

// The ignore file of a build, as Buildah 1.28 picks it: `<Dockerfile>.dockerignore` beside the
// Dockerfile, else `.containerignore`, else `.dockerignore` in the context directory.
struct IgnoreFile {
  std::filesystem::path path;  // empty when there is none
  IgnoreRules rules;
};
IgnoreFile load_ignore_file(const std::filesystem::path& dockerfile, const std::filesystem::path& context);

}  // namespace nbs::runner::dockerfile
