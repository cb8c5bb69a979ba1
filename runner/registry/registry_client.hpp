// A Registry HTTP API v2 client: manifests (OCI and Docker, index-aware), blob existence,
// cross-repository mounts, streamed blob copies between registries, manifest PUT and DELETE, with
// Basic and Bearer (WWW-Authenticate challenge) authentication from a containers auth.json.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "runner/registry/auth_file.hpp"
#include "runner/registry/http_transport.hpp"
#include "runner/registry/image_ref.hpp"
#include "runner/registry/registries_conf.hpp"

namespace nbs::runner::registry {

// Every manifest media type we accept, as one Accept header value.
extern const char* const k_manifest_accept;

struct Manifest {
  std::string media_type;
  std::string digest;  // of the exact bytes
  std::string body;

  bool is_index() const;
  // Config and layer digests with their sizes (an image manifest), or child manifest digests (an index).
  struct Descriptor {
    std::string media_type;
    std::string digest;
    std::int64_t size = 0;
    std::string platform;  // an index entry's "os/arch[/variant]"; empty elsewhere
  };
  Result<std::vector<Descriptor>> blobs() const;     // image manifest: config first, then layers
  Result<std::vector<Descriptor>> children() const;  // index: the platform manifests
};

// "sha256:" + hex of the SHA-256 of `data`.
std::string sha256_digest(std::string_view data);

class RegistryClient {
 public:
  // `download` and `upload` may be the same transport unless blobs are copied within one registry.
  RegistryClient(HttpTransport& download, HttpTransport& upload, AuthFile auth, InsecureRegistries insecure);

  // not_found when the reference does not exist. The digest is checked against the body.
  Result<Manifest> get_manifest(const ImageRef& ref);
  Result<bool> has_blob(const std::string& registry, const std::string& repository,
                        const std::string& digest);
  // True when the registry mounted the blob; false when it declined (the caller copies instead).
  Result<bool> mount_blob(const std::string& registry, const std::string& to, const std::string& from,
                          const std::string& digest);
  // Streams a blob from one repository to another (any registries) in chunks, never holding it whole.
  Status copy_blob(const ImageRef& from, const ImageRef& to, const std::string& digest);
  // PUTs a manifest under `reference` (tag or digest) and returns the digest the registry reports.
  Result<std::string> put_manifest(const ImageRef& to, const std::string& reference,
                                   const Manifest& manifest);
  // Uploads a small blob in one request (monolithic upload); returns its digest.
  Result<std::string> upload_blob(const std::string& registry, const std::string& repository,
                                  const std::string& data);
  // Removes one tag while other tags keep pointing at the same image: the registry can only delete
  // by digest, which would take every tag of that digest along. So the tag is first moved onto a
  // tiny manifest of its own (`unique` makes its digest unique), which is then deleted.
  Status delete_tag(const ImageRef& ref, const std::string& unique);
  // Deletes by digest; a manifest already gone is not an error.
  Status delete_manifest(const std::string& registry, const std::string& repository,
                         const std::string& digest);

  std::size_t chunk_size = std::size_t{8} * 1024 * 1024;

 private:
  Result<HttpResponse> call(HttpTransport& http, const std::string& registry,
                            const std::vector<std::string>& scopes, HttpRequest request,
                            const BodySink* sink = nullptr);
  Result<std::string> authorize(HttpTransport& http, const std::string& registry,
                                const std::string& challenge_header, const std::vector<std::string>& scopes);
  std::string base_url(const std::string& registry) const;

  HttpTransport& download_;
  HttpTransport& upload_;
  AuthFile auth_;
  InsecureRegistries insecure_;
  std::map<std::string, std::string> authorization_;  // registry + scopes → Authorization header value
};

}  // namespace nbs::runner::registry
