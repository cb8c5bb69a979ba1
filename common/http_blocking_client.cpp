// BlockingHttpClient: an HttpClient on a private io_context served by one thread; callers wait on a
// future, so many threads can have calls in flight on the same pool.
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "common/http_client.hpp"

namespace nbs {
namespace net = boost::asio;

struct BlockingHttpClient::Runner {
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::optional<HttpClient> client;
  std::thread thread;

  ~Runner() {
    work.reset();
    ioc.stop();
    if (thread.joinable()) {
      thread.join();
    }
  }
};

namespace {

Result<HttpResponse> wait_for(net::io_context& ioc, net::awaitable<Result<HttpResponse>> call) {
  std::promise<Result<HttpResponse>> promise;
  auto future = promise.get_future();
  net::co_spawn(ioc, std::move(call),
                [&promise](const std::exception_ptr& error, Result<HttpResponse> result) {
                  if (error) {
                    try {
                      std::rethrow_exception(error);
                    } catch (const std::exception& ex) {
                      promise.set_value(make_error(ErrorKind::internal, std::string("http: ") + ex.what()));
                      return;
                    }
                  }
                  promise.set_value(std::move(result));
                });
  return future.get();
}

}  // namespace

BlockingHttpClient::BlockingHttpClient(std::unique_ptr<Runner> runner) : runner_(std::move(runner)) {}

BlockingHttpClient::~BlockingHttpClient() = default;

Result<std::unique_ptr<BlockingHttpClient>> BlockingHttpClient::create(HttpClientOptions options) {
  auto runner = std::make_unique<Runner>();
  auto client = HttpClient::create(runner->ioc.get_executor(), std::move(options));
  if (!client) {
    return client.error();
  }
  runner->client.emplace(std::move(*client));
  runner->thread = std::thread([ctx = &runner->ioc] { ctx->run(); });
  return std::unique_ptr<BlockingHttpClient>(new BlockingHttpClient(std::move(runner)));
}

Result<HttpResponse> BlockingHttpClient::request(const HttpRequest& request) {
  return wait_for(runner_->ioc, runner_->client->request(request));
}

Result<HttpResponse> BlockingHttpClient::stream(const HttpRequest& request, const BodySink& sink) {
  return wait_for(runner_->ioc, runner_->client->stream(request, sink));
}

HttpClientStats BlockingHttpClient::stats() const {
  return runner_->client->stats();
}

}  // namespace nbs
