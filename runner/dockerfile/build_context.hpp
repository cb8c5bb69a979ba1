// The build context as COPY and ADD see it: the files under the context directory less what the
// ignore file excludes. Answers whether a source (a path or a glob, relative to the context even when
// it starts with `/`) names anything Buildah would copy.
#pragma once

#include <filesystem>
#include <string_view>

#include "runner/dockerfile/dockerignore.hpp"

namespace nbs::runner::dockerfile {

enum class SourceLookup {
  present,
  absent,   // nothing in the context has that name
  ignored,  // only paths the ignore file excludes have it
  unknown,  // the preflight cannot tell (a path leaving the context or through a link, an escape in a glob)
};

class BuildContext {
 public:
  // A context with no files at all (the fuzz target's).
  BuildContext() = default;
  BuildContext(std::filesystem::path root, IgnoreRules rules);

  SourceLookup find(std::string_view source) const;

 private:
  bool included(const std::filesystem::path& full, const std::string& relative) const;

  std::filesystem::path root_;
  IgnoreRules rules_;
};

}  // namespace nbs::runner::dockerfile
