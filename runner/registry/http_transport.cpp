#include "runner/registry/http_transport.hpp"

#include "common/http_client.hpp"

namespace nbs::runner::registry {
namespace {

class BlockingTransport final : public HttpTransport {
 public:
  explicit BlockingTransport(std::unique_ptr<BlockingHttpClient> client) : client_(std::move(client)) {}

  Result<HttpResponse> send(const HttpRequest& request, const BodySink* sink) override {
    return sink != nullptr ? client_->stream(request, *sink) : client_->request(request);
  }

 private:
  std::unique_ptr<BlockingHttpClient> client_;
};

}  // namespace

std::string header_value(const HttpResponse& response, std::string_view name) {
  return response.header(name).value_or(std::string());
}

Result<std::unique_ptr<HttpTransport>> make_http_transport() {
  auto client = BlockingHttpClient::create(HttpClientOptions{.user_agent = "nbs-runner"});
  if (!client) {
    return client.error();
  }
  return std::unique_ptr<HttpTransport>(new BlockingTransport(std::move(*client)));
}

}  // namespace nbs::runner::registry
