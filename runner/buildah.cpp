#include "runner/buildah.hpp"

namespace nbs::runner {

std::vector<std::string> buildah_base_argv(const BuildahSetup& setup) {
  return {setup.program,
          "--root",
          setup.storage_root,
          "--runroot",
          setup.run_root,
          "--storage-driver",
          std::string(to_string(setup.driver))};
}

std::vector<std::string> bud_argv(const BuildahSetup& setup, const BudOptions& options) {
  auto argv = buildah_base_argv(setup);
  argv.emplace_back("bud");
  // Buildah 1.28's layer cache does not key on the target platform: with --layers the second platform
  // of a build reuses the first one's steps (an arm64 image that is the amd64 one). A multi-platform
  // build therefore runs every step, and has no cache to share either.
  const bool layers = options.manifest.empty();
  if (layers) {
    argv.emplace_back("--layers");
  }
  if (layers && options.no_cache) {
    argv.emplace_back("--no-cache");  // the layers it builds still go into the cache for later builds
  }
  if (layers && !options.cache_repository.empty()) {
    // With --no-cache Buildah reads nothing from the cache but still pushes what it builds, which
    // replaces a bad cache entry. The cache repository takes the push's credentials.
    argv.insert(argv.end(),
                {"--cache-from", options.cache_repository, "--cache-to", options.cache_repository});
    if (!setup.auth_file.empty()) {
      argv.insert(argv.end(), {"--authfile", setup.auth_file});
    }
  }
  // chroot isolation needs no cgroup or network set-up, which is what works rootless in a task.
  argv.insert(argv.end(), {"--isolation", "chroot", "--file", options.dockerfile});
  for (const auto& [key, value] : options.build_args) {
    argv.insert(argv.end(), {"--build-arg", key + "=" + value});
  }
  for (const auto& [key, value] : options.secret_build_args) {
    argv.insert(argv.end(), {"--build-arg", key});
  }
  if (!options.target.empty()) {
    argv.insert(argv.end(), {"--target", options.target});
  }
  if (!options.platforms.empty()) {
    std::string joined;
    for (const auto& p : options.platforms) {
      joined += (joined.empty() ? "" : ",") + p;
    }
    argv.insert(argv.end(), {"--platform", joined});
  }
  for (const auto& [key, value] : options.labels) {
    argv.insert(argv.end(), {"--label", key + "=" + value, "--annotation", key + "=" + value});
  }
  for (const auto& [id, file] : options.secrets) {
    argv.insert(argv.end(), {"--secret", "id=" + id + ",src=" + file});
  }
  for (const auto& [id, file] : options.ssh) {
    argv.insert(argv.end(), {"--ssh", id + "=" + file});
  }
  if (layers) {
    argv.insert(argv.end(), {"--iidfile", options.iid_file, "-t", options.tag, options.context});
  } else {
    argv.insert(argv.end(), {"--manifest", options.manifest, options.context});
  }
  return argv;
}

std::vector<std::string> push_argv(const BuildahSetup& setup, const std::string& image,
                                   const std::string& destination, const std::string& digest_file) {
  auto argv = buildah_base_argv(setup);
  argv.emplace_back("push");
  if (!setup.auth_file.empty()) {
    argv.insert(argv.end(), {"--authfile", setup.auth_file});
  }
  argv.insert(argv.end(), {"--digestfile", digest_file, image, "docker://" + destination});
  return argv;
}

std::vector<std::string> manifest_push_argv(const BuildahSetup& setup, const std::string& list,
                                            const std::string& destination, const std::string& digest_file,
                                            bool plain_http) {
  auto argv = buildah_base_argv(setup);
  argv.insert(argv.end(), {"manifest", "push", "--all"});
  if (plain_http) {
    argv.emplace_back("--tls-verify=false");
  }
  if (!setup.auth_file.empty()) {
    argv.insert(argv.end(), {"--authfile", setup.auth_file});
  }
  argv.insert(argv.end(), {"--digestfile", digest_file, list, "docker://" + destination});
  return argv;
}

std::vector<std::string> manifest_rm_argv(const BuildahSetup& setup, const std::string& list) {
  auto argv = buildah_base_argv(setup);
  argv.insert(argv.end(), {"manifest", "rm", list});
  return argv;
}

std::vector<std::string> rmi_argv(const BuildahSetup& setup, const std::vector<std::string>& images) {
  auto argv = buildah_base_argv(setup);
  argv.emplace_back("rmi");
  argv.insert(argv.end(), images.begin(), images.end());
  return argv;
}

std::vector<std::string> version_argv(const BuildahSetup& setup) {
  return {setup.program, "version"};
}

std::vector<std::string> buildah_env(const BuildahSetup& setup) {
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                               "HOME=" + (setup.home.empty() ? std::string("/nonexistent") : setup.home),
                               "LANG=C.UTF-8"};
  if (!setup.tmp_dir.empty()) {
    env.push_back("TMPDIR=" + setup.tmp_dir);
  }
  if (!setup.registries_conf.empty()) {
    env.push_back("CONTAINERS_REGISTRIES_CONF=" + setup.registries_conf);
  }
  return env;
}

std::vector<std::string> bud_env(const BuildahSetup& setup, const BudOptions& options) {
  auto env = buildah_env(setup);
  for (const auto& [key, value] : options.secret_build_args) {
    env.push_back(key + "=" + value);  // the request's grammar keeps these names off Buildah's own
  }
  return env;
}

}  // namespace nbs::runner
