#include "jobs/nomad/transport.hpp"

#include "common/http_client.hpp"

namespace nbs::jobs::nomad {
namespace {

class HttpTransport final : public Transport {
 public:
  explicit HttpTransport(std::unique_ptr<BlockingHttpClient> client) : client_(std::move(client)) {}
  Result<HttpResponse> send(const HttpRequest& request) override { return client_->request(request); }
  Result<HttpResponse> stream(const HttpRequest& request, const BodySink& sink) override {
    return client_->stream(request, sink);
  }

 private:
  std::unique_ptr<BlockingHttpClient> client_;
};

}  // namespace

Result<std::shared_ptr<Transport>> make_http_transport(const Config& config) {
  HttpClientOptions options;
  options.tls = config.tls;
  options.user_agent = "nbs-nomad-client";
  auto client = BlockingHttpClient::create(std::move(options));
  if (!client) {
    return client.error();
  }
  return std::shared_ptr<Transport>(std::make_shared<HttpTransport>(std::move(*client)));
}

}  // namespace nbs::jobs::nomad
