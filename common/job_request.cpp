#include "common/job_request.hpp"

#include <algorithm>

namespace nbs {

std::string_view to_string(Phase phase) {
  switch (phase) {
    case Phase::build:
      return "build";
    case Phase::test:
      return "test";
    case Phase::publish:
      return "publish";
    case Phase::cleanup:
      return "cleanup";
  }
  return "build";
}

std::optional<Phase> parse_phase(std::string_view text) {
  for (auto p : {Phase::build, Phase::test, Phase::publish, Phase::cleanup}) {
    if (to_string(p) == text) {
      return p;
    }
  }
  return std::nullopt;
}

bool JobRequest::has_tests() const {
  return test && (!test->commands.empty() || test->entry_point);
}

bool JobRequest::publishes_from_temp_image() const {
  return has_tests() || sign.has_value();
}

std::string ImageTarget::reference(std::string_view tag) const {
  return registry + "/" + repository + ":" + std::string(tag);
}

ImageTarget image_target(const JobRequest& request) {
  const std::string& url = request.registry_url;
  const std::size_t slash = url.find('/');
  ImageTarget target{url.substr(0, slash), slash == std::string::npos ? "" : url.substr(slash + 1)};
  if (!request.image_name.empty()) {
    target.repository =
        target.repository.empty() ? request.image_name : target.repository + "/" + request.image_name;
  }
  return target;
}

std::vector<std::string> final_image_tags(const JobRequest& request, std::string_view job_id) {
  std::vector<std::string> tags{std::string(job_id)};
  for (const auto& tag : request.image_tags) {
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) {
      tags.push_back(tag);
    }
  }
  return tags;
}

std::string cache_repository(const JobRequest& request, std::string_view prefix) {
  if (request.cache && !request.cache->registry_ref.empty()) {
    return request.cache->registry_ref;
  }
  if (!request.cache && prefix.empty()) {
    return {};
  }
  const ImageTarget target = image_target(request);
  if (!prefix.empty()) {
    return std::string(prefix) + "/" + target.repository;
  }
  return target.registry + "/" + target.repository + "/cache";
}

std::optional<std::string> check_cache_place(const JobRequest& request, std::string_view prefix) {
  if (!request.cache || request.cache->registry_ref.empty()) {
    return std::nullopt;
  }
  const std::string& ref = request.cache->registry_ref;
  const ImageTarget target = image_target(request);
  const std::string own = target.registry + "/" + target.repository;
  if (ref.starts_with(own + "/")) {
    return std::nullopt;
  }
  std::string allowed = "'" + own + "/<name>'";
  if (!prefix.empty()) {
    const std::string shared = std::string(prefix) + "/" + target.repository;
    if (ref == shared || ref.starts_with(shared + "/")) {
      return std::nullopt;
    }
    allowed += " or '" + shared + "'";
  }
  return "must be under this job's image path: " + allowed +
         " (a cache elsewhere could carry the build's layers off or feed another image's builds)";
}

ResolvedResources default_resources(Phase phase) {
  switch (phase) {
    case Phase::build:
      return {1000, 2048, 10240};
    case Phase::test:
    case Phase::publish:
      return {500, 1024, 2048};
    case Phase::cleanup:
      return {100, 256, 512};
  }
  return {500, 1024, 2048};
}

ResolvedResources resolve_resources(const JobRequest& request, Phase phase, ResolvedResources defaults) {
  const ResourceLimits& limits = request.resource_limits;
  const Resources* block = phase == Phase::build     ? &limits.build
                           : phase == Phase::test    ? &limits.test
                           : phase == Phase::publish ? &limits.publish
                                                     : nullptr;
  const Resources* test_block =
      phase == Phase::test && request.test ? &request.test->resource_limits : nullptr;
  auto pick = [&](std::optional<int> Resources::*field, const std::optional<int>& global, int fallback) {
    if (test_block && test_block->*field) {
      return *(test_block->*field);
    }
    if (block && block->*field) {
      return *(block->*field);
    }
    // The legacy global fields apply to build, test and publish, not to the tiny cleanup task.
    return global && phase != Phase::cleanup ? *global : fallback;
  };
  return {pick(&Resources::cpu, limits.cpu, defaults.cpu),
          pick(&Resources::memory, limits.memory, defaults.memory),
          pick(&Resources::disk, limits.disk, defaults.disk)};
}

}  // namespace nbs
