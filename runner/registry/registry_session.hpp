// A RegistryClient set up from a runner spec: its own transports, the auth file's credentials and
// the insecure registries of registries.conf.
#pragma once

#include <memory>

#include "common/runner_spec.hpp"
#include "runner/registry/registry_client.hpp"

namespace nbs::runner::registry {

class RegistrySession {
 public:
  static Result<std::unique_ptr<RegistrySession>> open(const RunnerSpec& spec);
  RegistryClient& client() { return client_; }
  const AuthFile& auth() const { return auth_; }

 private:
  RegistrySession(std::unique_ptr<HttpTransport> download, std::unique_ptr<HttpTransport> upload,
                  AuthFile auth, InsecureRegistries insecure);
  std::unique_ptr<HttpTransport> download_;
  std::unique_ptr<HttpTransport> upload_;
  AuthFile auth_;
  RegistryClient client_;
};

}  // namespace nbs::runner::registry
