// Buildah command lines as argv vectors (never a shell line): the storage flags every call shares,
// `bud` and `push`, and the explicit environment Buildah runs with.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/runner_spec.hpp"

namespace nbs::runner {

// Where Buildah keeps its state and which configuration it reads.
struct BuildahSetup {
  std::string program = "buildah";
  std::string storage_root;  // --root: the shared graph root on the cache volume
  std::string run_root;      // --runroot: one per build
  StorageDriver driver = StorageDriver::overlay;
  std::string registries_conf;  // CONTAINERS_REGISTRIES_CONF; empty: Buildah's default
  std::string auth_file;        // --authfile for push; empty: none
  std::string home;             // HOME for Buildah
  std::string tmp_dir;          // TMPDIR (large temporary files while committing and pushing)
};

struct BudOptions {
  std::string dockerfile;  // --file
  std::string context;     // the context directory (last argument)
  std::map<std::string, std::string> build_args;
  // Name → value: on the command line as `--build-arg NAME` only, the value in Buildah's environment
  // (which `ps` does not show other users).
  std::map<std::string, std::string> secret_build_args;
  std::string target;
  std::vector<std::string> platforms;  // --platform a,b; empty: the node's own
  // With several platforms: the local manifest list the images go to (--manifest), instead of one
  // image (--iidfile, -t) and the layer cache.
  std::string manifest;
  // Each a `--label` (image config) and an `--annotation` (manifest): provenance and the job's labels.
  std::vector<std::pair<std::string, std::string>> labels;
  std::map<std::string, std::string> secrets;  // id → file: `--secret id=ID,src=FILE`
  std::map<std::string, std::string> ssh;      // id → private key file: `--ssh ID=FILE`
  std::string iid_file;
  std::string tag;        // -t
  bool no_cache = false;  // --no-cache: every step runs again (the job's clear_cache)
  // --cache-from and --cache-to: the registry repository of the shared layer cache; "": none.
  std::string cache_repository;
};

// `buildah --root R --runroot RR --storage-driver D`.
std::vector<std::string> buildah_base_argv(const BuildahSetup& setup);

// `… bud --layers [--no-cache] [--cache-from R --cache-to R [--authfile A]] --isolation chroot --file F
//  [--build-arg K=V]… [--build-arg SECRET]… [--target T] [--platform P[,P]…] [--label K=V --annotation K=V]…
//  [--secret id=ID,src=F]… [--ssh ID=F]…
//  --iidfile I -t TAG CONTEXT`; with a manifest, `… bud --isolation chroot … --manifest M CONTEXT`.
std::vector<std::string> bud_argv(const BuildahSetup& setup, const BudOptions& options);

// `… push [--authfile A] --digestfile D IMAGE docker://DESTINATION`.
std::vector<std::string> push_argv(const BuildahSetup& setup, const std::string& image,
                                   const std::string& destination, const std::string& digest_file);

// `… manifest push --all [--tls-verify=false] [--authfile A] --digestfile D LIST docker://DESTINATION`: the
// list (an OCI index in the registry) and every image in it. Buildah 1.28's manifest push does not read
// `insecure` from registries.conf (it tries HTTPS, fails, and still exits 0), so a plain-HTTP
// destination needs `plain_http`.
std::vector<std::string> manifest_push_argv(const BuildahSetup& setup, const std::string& list,
                                            const std::string& destination, const std::string& digest_file,
                                            bool plain_http);

// `… manifest rm LIST` and `… rmi IMAGE…`: the local list and its images, once pushed.
std::vector<std::string> manifest_rm_argv(const BuildahSetup& setup, const std::string& list);
std::vector<std::string> rmi_argv(const BuildahSetup& setup, const std::vector<std::string>& images);

// `… version`.
std::vector<std::string> version_argv(const BuildahSetup& setup);

// The whole environment of a Buildah child: PATH, HOME, TMPDIR, LANG and, when set,
// CONTAINERS_REGISTRIES_CONF. Nothing of the runner's own environment leaks in.
std::vector<std::string> buildah_env(const BuildahSetup& setup);

// buildah_env plus NAME=value of each secret build arg, which `--build-arg NAME` reads.
std::vector<std::string> bud_env(const BuildahSetup& setup, const BudOptions& options);

}  // namespace nbs::runner
