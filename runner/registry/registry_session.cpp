#include "runner/registry/registry_session.hpp"

namespace nbs::runner::registry {

RegistrySession::RegistrySession(std::unique_ptr<HttpTransport> download, std::unique_ptr<HttpTransport> upload,
                                 AuthFile auth, InsecureRegistries insecure)
    : download_(std::move(download)), upload_(std::move(upload)), auth_(auth),
      client_(*download_, *upload_, std::move(auth), std::move(insecure)) {}

Result<std::unique_ptr<RegistrySession>> RegistrySession::open(const RunnerSpec& spec) {
  AuthFile auth;
  if (!spec.credentials.registry_auth_file.empty()) {
    auto loaded = AuthFile::load(spec.credentials.registry_auth_file);
    if (!loaded) return loaded.error();
    auth = std::move(*loaded);
  }
  auto insecure = load_registries_conf(spec.registries_conf);
  if (!insecure) return insecure.error();
  // Two transports: a blob copied inside one registry is read on one connection while written on another.
  return std::unique_ptr<RegistrySession>(
      new RegistrySession(make_beast_transport(), make_beast_transport(), std::move(auth), std::move(*insecure)));
}

}  // namespace nbs::runner::registry
