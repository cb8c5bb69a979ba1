#include "mcpd/submit_policy.hpp"

#include <boost/url/parse.hpp>

namespace nbs::mcpd {

namespace fs = std::filesystem;

namespace {

bool inside(const fs::path& path, const fs::path& dir) {
  auto [end, _] = std::mismatch(dir.begin(), dir.end(), path.begin(), path.end());
  return end == dir.end();
}

// The path a file:// repository resolves to, symlinks and `..` followed (as Git would).
fs::path resolved(const fs::path& path) {
  std::error_code ec;
  fs::path out = fs::weakly_canonical(path, ec);
  return ec ? path.lexically_normal() : out;
}

std::optional<std::string> check_file_repo(std::string_view repo_url, const SubmitPolicy& policy) {
  auto url = boost::urls::parse_uri(repo_url);
  if (!url || url->scheme() != "file") {
    return std::nullopt;
  }
  if (!url->encoded_host().empty() && url->encoded_host() != "localhost") {
    return "a file:// URL must name a path on this machine (file:///path)";
  }
  const fs::path path = resolved(std::string(url->path()));
  for (const auto& dir : policy.private_dirs) {
    if (inside(path, resolved(dir))) {
      return "is inside the daemon's own state or cache (" + dir.string() + "), which no job may build from";
    }
  }
  for (const auto& root : policy.file_repo_roots) {
    if (inside(path, resolved(root))) {
      return std::nullopt;
    }
  }
  if (policy.file_repo_roots.empty()) {
    return "file:// repositories are refused on this daemon (it allows none: allow_file_repos is empty); "
           "serve the repository over https, ssh or git";
  }
  std::string roots;
  for (const auto& root : policy.file_repo_roots) {
    roots += (roots.empty() ? "" : ", ") + root.string();
  }
  return "is outside the directories this daemon builds file:// repositories from (" + roots + ")";
}

std::optional<std::string> check_webhook(std::string_view text, PrivateTargets policy) {
  if (text.empty() || policy == PrivateTargets::allow) {
    return std::nullopt;
  }
  auto url = parse_webhook_url(text);
  if (!url) {
    return std::nullopt;  // the request's grammar has reported it
  }
  std::string_view reason;
  if (url->literal) {
    auto forbidden = forbidden_reason(*url->literal);
    if (!forbidden) {
      return std::nullopt;
    }
    reason = *forbidden;
  } else if (url->host == "localhost" || url->host.ends_with(".localhost")) {
    reason = "loopback";
  } else {
    // A name is resolved and its addresses checked at each delivery (resolving here would not bind the
    // answer the delivery gets, and could stall a submit on a slow resolver).
    return std::nullopt;
  }
  return "points at " + url->host + ", a " + std::string(reason) +
         " address that webhooks may not reach (the daemon refuses private targets unless started with "
         "webhook_allow_private)";
}

}  // namespace

std::vector<FieldError> check_submit(const JobRequest& request, const std::string& principal,
                                     const SubmitPolicy& policy) {
  std::vector<FieldError> out;
  if (auto reason = check_file_repo(request.repo_url, policy)) {
    out.push_back({"repo_url", *reason});
  }
  if (auto reason = check_webhook(request.webhook_url, policy.webhook_targets)) {
    out.push_back({"webhook_url", *reason});
  }
  if (auto reason = check_cache_place(request, policy.build_cache_repository)) {
    out.push_back({"cache.registry_ref", *reason});
  }
  if (request.sign && policy.signature_store.empty()) {
    out.push_back({"sign",
                   "this daemon keeps no image signatures (its signature_store is not set): leave sign out, "
                   "or ask the operator to set signature_store"});
  }
  if (!principal.empty() && request.owner != principal) {
    out.push_back(
        {"owner", "must be '" + principal +
                      "', the principal of your token: authenticated callers submit as themselves"});
  }
  return out;
}

}  // namespace nbs::mcpd
