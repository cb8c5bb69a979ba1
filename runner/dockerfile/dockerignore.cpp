#include "runner/dockerfile/dockerignore.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <re2/re2.h>

#include "runner/dockerfile/words.hpp"

namespace nbs::runner::dockerfile {
namespace {

// Go's filepath.Clean for a slash-separated path ("" becomes ".").
std::string clean_path(std::string_view path) {
  const bool rooted = !path.empty() && path.front() == '/';
  std::vector<std::string_view> parts;
  for (auto part : path_components(path)) {
    if (part == ".." && !parts.empty() && parts.back() != "..") {
      parts.pop_back();
    } else if (part != ".." || !rooted) {
      parts.push_back(part);
    }
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t i = 0; i < parts.size(); ++i) {
    out += (i > 0 ? "/" : "") + std::string(parts[i]);
  }
  return out.empty() ? "." : out;
}

// Buildah's translation of a pattern into a regular expression.
std::string to_regex(std::string_view pattern) {
  std::string re = "^";
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '*') {
      if (i + 1 < pattern.size() && pattern[i + 1] == '*') {
        ++i;
        if (i + 1 < pattern.size() && pattern[i + 1] == '/') {
          ++i;  // `**/` is `**`
        }
        re += i + 1 == pattern.size() ? ".*" : "(.*/)?";
      } else {
        re += "[^/]*";
      }
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '.' || c == '$') {
      re += std::string("\\") + c;
    } else if (c == '\\') {
      if (i + 1 < pattern.size()) {
        re += RE2::QuoteMeta(pattern.substr(++i, 1));
      } else {
        re += "\\\\";
      }
    } else {
      re += c;  // other characters pass through, as in Buildah (`[a-z]` stays a class)
    }
  }
  return re + "$";
}

std::size_t depth_of(std::string_view pattern) {
  return static_cast<std::size_t>(std::count(pattern.begin(), pattern.end(), '/')) + 1;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::vector<std::string_view> path_components(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto part = path.substr(0, slash);
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
    if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
  }
  return parts;
}

IgnoreRules::IgnoreRules() = default;
IgnoreRules::IgnoreRules(IgnoreRules&&) noexcept = default;
IgnoreRules& IgnoreRules::operator=(IgnoreRules&&) noexcept = default;
IgnoreRules::~IgnoreRules() = default;

IgnoreRules IgnoreRules::parse(std::string_view text) {
  IgnoreRules rules;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }
  RE2::Options options;
  options.set_log_errors(false);
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.front() == '#') {
      continue;
    }
    auto pattern = trim_blanks(line);
    const bool exception = !pattern.empty() && pattern.front() == '!';
    if (exception) {
      pattern = trim_blanks(pattern.substr(1));
    }
    if (pattern.empty()) {
      continue;  // Buildah refuses a lone "!"; nothing to match either way
    }
    auto cleaned = clean_path(pattern);
    if (cleaned.size() > 1 && cleaned.front() == '/') {
      cleaned.erase(0, 1);
    }
    auto regex = std::make_unique<RE2>(to_regex(cleaned), options);
    if (!regex->ok()) {
      continue;  // a pattern Buildah cannot compile either; it matches nothing here
    }
    rules.has_exceptions_ = rules.has_exceptions_ || exception;
    rules.patterns_.push_back({std::move(regex), exception, depth_of(cleaned)});
  }
  return rules;
}

bool IgnoreRules::excluded(std::string_view path) const {
  // A path also matches a pattern when its leading directories, as many as the pattern has
  // components, do (Buildah's rule: `dir` excludes `dir/file`).
  auto slash = path.rfind('/');
  std::vector<std::string_view> parents;
  if (slash != std::string_view::npos) {
    auto parent = path.substr(0, slash);
    std::size_t at = 0;
    while (at != std::string_view::npos) {
      at = parent.find('/', at);
      parents.push_back(parent.substr(0, at));
      at = at == std::string_view::npos ? at : at + 1;
    }
  }
  bool excluded = false;
  for (const auto& p : patterns_) {
    bool match = RE2::FullMatch(path, *p.regex);
    if (!match && p.depth <= parents.size()) {
      match = RE2::FullMatch(parents[p.depth - 1], *p.regex);
    }
    if (match) {
      excluded = !p.exception;
    }
  }
  return excluded;
}

IgnoreFile load_ignore_file(const std::filesystem::path& dockerfile, const std::filesystem::path& context) {
  std::error_code ec;
  auto beside = dockerfile;
  beside += ".dockerignore";
  for (const auto& candidate : {beside, context / ".containerignore", context / ".dockerignore"}) {
    if (std::filesystem::is_regular_file(candidate, ec)) {
      return IgnoreFile{candidate, IgnoreRules::parse(read_file(candidate))};
    }
  }
  return {};
}

}  // namespace nbs::runner::dockerfile
