#include "runner/dockerfile/build_context.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include <re2/re2.h>

namespace nbs::runner::dockerfile {
namespace {

namespace fs = std::filesystem;

bool has_glob(std::string_view part) {
  return part.find_first_of("*?[") != std::string_view::npos;
}

// Go's filepath.Match pattern for one path component as a regular expression.
std::optional<std::string> component_regex(std::string_view pattern) {
  std::string re;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (in_class) {
      if (c == ']') {
        in_class = false;
      }
      re += c == '\\' || c == '[' ? std::string("\\") + c : std::string(1, c);
    } else if (c == '*') {
      re += "[^/]*";
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '[') {
      in_class = true;
      re += '[';
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') {
        re += '^';
        ++i;
      }
    } else {
      re += RE2::QuoteMeta(std::string_view(&pattern[i], 1));
    }
  }
  if (in_class) {
    return std::nullopt;
  }
  return re;
}

// The source's path components, or nullopt when it leaves the context or uses escapes.
std::optional<std::vector<std::string>> components(std::string_view source) {
  std::vector<std::string> parts;
  for (auto part : path_components(source)) {
    if (part == ".." || part.find('\\') != std::string_view::npos) {
      return std::nullopt;
    }
    parts.emplace_back(part);
  }
  return parts;
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(fs::symlink_status(p, ec));
}

bool is_link(const fs::path& p) {
  std::error_code ec;
  return fs::is_symlink(fs::symlink_status(p, ec));
}

}  // namespace

BuildContext::BuildContext(std::filesystem::path root, IgnoreRules rules)
    : root_(std::move(root)), rules_(std::move(rules)) {}

SourceLookup BuildContext::find(std::string_view source) const {
  auto parts = components(source);
  if (!parts) {
    return SourceLookup::unknown;
  }
  if (parts->empty()) {
    return SourceLookup::present;  // the context itself
  }
  if (root_.empty()) {
    return SourceLookup::absent;
  }
  // Expand component by component: (full path, path relative to the context).
  std::vector<std::pair<fs::path, std::string>> matches{{root_, ""}};
  bool through_link = false;
  for (std::size_t i = 0; i < parts->size() && !matches.empty(); ++i) {
    const auto& part = (*parts)[i];
    std::vector<std::pair<fs::path, std::string>> next;
    std::optional<RE2> regex;
    if (has_glob(part)) {
      auto re = component_regex(part);
      if (!re) {
        return SourceLookup::unknown;
      }
      regex.emplace(*re);
      if (!regex->ok()) {
        return SourceLookup::unknown;
      }
    }
    for (const auto& [full, rel] : matches) {
      const auto prefix = rel.empty() ? rel : rel + "/";
      if (!regex) {
        if (path_exists(full / part)) {
          next.emplace_back(full / part, prefix + part);
        }
        continue;
      }
      std::error_code ec;
      for (fs::directory_iterator it(full, ec), end; !ec && it != end; it.increment(ec)) {
        auto name = it->path().filename().string();
        if (RE2::FullMatch(name, *regex)) {
          next.emplace_back(it->path(), prefix + name);
        }
      }
    }
    // Buildah resolves a link inside the context, as if the context were the root; the preflight does
    // not follow one (nor look outside the context through it), and cannot judge what lies behind it.
    if (i + 1 < parts->size()) {
      const auto links =
          std::remove_if(next.begin(), next.end(), [](const auto& m) { return is_link(m.first); });
      through_link = through_link || links != next.end();
      next.erase(links, next.end());
    }
    matches = std::move(next);
  }
  if (matches.empty()) {
    return through_link ? SourceLookup::unknown : SourceLookup::absent;
  }
  for (const auto& [full, rel] : matches) {
    if (included(full, rel)) {
      return SourceLookup::present;
    }
  }
  return through_link ? SourceLookup::unknown : SourceLookup::ignored;
}

bool BuildContext::included(const fs::path& full, const std::string& relative) const {
  if (!rules_.excluded(relative)) {
    return true;
  }
  // An excluded directory still brings along what an exception pattern lets through.
  std::error_code ec;
  if (!rules_.has_exceptions() || !fs::is_directory(fs::symlink_status(full, ec))) {
    return false;
  }
  for (fs::recursive_directory_iterator it(full, ec), end; !ec && it != end; it.increment(ec)) {
    auto rel = relative + "/" + it->path().lexically_relative(full).string();
    if (!rules_.excluded(rel)) {
      return true;
    }
  }
  return false;
}

}  // namespace nbs::runner::dockerfile
