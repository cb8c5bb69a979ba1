#include "runner/registry/image_ref.hpp"

namespace nbs::runner::registry {

Result<ImageRef> ImageRef::parse(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return make_error(ErrorKind::invalid_argument,
                      "image reference " + std::string(text) + ": " + std::string(why));
  };
  ImageRef ref;
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return fail("needs a registry host");
  }
  ref.registry = std::string(text.substr(0, slash));
  std::string_view rest = text.substr(slash + 1);
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (ref.digest.rfind("sha256:", 0) != 0 || ref.digest.size() != 71) {
      return fail("bad digest");
    }
  }
  // A colon after the last slash starts the tag (a colon before it belongs to a host:port).
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (ref.tag.empty()) {
      return fail("empty tag");
    }
  }
  if (rest.empty()) {
    return fail("empty repository");
  }
  ref.repository = std::string(rest);
  if (ref.tag.empty() && ref.digest.empty()) {
    ref.tag = "latest";
  }
  return ref;
}

std::string ImageRef::str() const {
  std::string out = registry + "/" + repository;
  if (!tag.empty()) {
    out += ":" + tag;
  }
  if (!digest.empty()) {
    out += "@" + digest;
  }
  return out;
}

}  // namespace nbs::runner::registry
