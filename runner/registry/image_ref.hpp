// An image reference as the runner uses them: "host[:port]/repository[:tag][@digest]". The host part
// is required (the spec always names the registry).
#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace nbs::runner::registry {

struct ImageRef {
  std::string registry;    // "127.0.0.1:5000"
  std::string repository;  // "team/app"
  std::string tag;         // may be empty when a digest is given
  std::string digest;      // "sha256:…" or empty

  static Result<ImageRef> parse(std::string_view text);
  // The tag, or the digest when there is no tag (what a manifest URL names).
  std::string reference() const { return digest.empty() || !tag.empty() ? tag : digest; }
  std::string str() const;

  friend bool operator==(const ImageRef&, const ImageRef&) = default;
};

}  // namespace nbs::runner::registry
