#include "runner/registry/registry_session.hpp"

namespace nbs::runner::registry {

RegistrySession::RegistrySession(std::unique_ptr<HttpTransport> download,
                                 std::unique_ptr<HttpTransport> upload, AuthFile auth,
                                 InsecureRegistries insecure)
    : download_(std::move(download)),
      upload_(std::move(upload)),
      auth_(auth),
      client_(*download_, *upload_, std::move(auth), std::move(insecure)) {}

Result<std::unique_ptr<RegistrySession>> RegistrySession::open(const RunnerSpec& spec) {
  AuthFile auth;
  if (!spec.credentials.registry_auth_file.empty()) {
    auto loaded = AuthFile::load(spec.credentials.registry_auth_file);
    if (!loaded) {
      return loaded.error();
    }
    auth = std::move(*loaded);
  }
  auto insecure = load_registries_conf(spec.registries_conf);
  if (!insecure) {
    return insecure.error();
  }
  // Two clients: a blob being copied is read through one while the sink writes it through the other.
  auto download = make_http_transport();
  if (!download) {
    return download.error();
  }
  auto upload = make_http_transport();
  if (!upload) {
    return upload.error();
  }
  return std::unique_ptr<RegistrySession>(
      new RegistrySession(std::move(*download), std::move(*upload), std::move(auth), std::move(*insecure)));
}

}  // namespace nbs::runner::registry
