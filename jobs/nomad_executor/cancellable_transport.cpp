// The calls run as coroutines of the shared HTTP client on a private io_context, each spawned with a
// cancellation slot; interrupt() emits terminal cancellation on them, which aborts the pending socket
// operation and drops the connection. Epoch checks and the table of calls in flight live on the
// io_context's one thread, so a call is either refused or registered before the cancellation runs.
#include "jobs/nomad_executor/cancellable_transport.hpp"

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "common/http_client.hpp"

namespace nbs::jobs::nomad {
namespace net = boost::asio;

struct CancellableTransport::Impl {
  // Declared first, destroyed last: the io_context's pending operations may still point at a signal.
  std::map<std::uint64_t, std::pair<std::uint64_t, std::unique_ptr<net::cancellation_signal>>> in_flight;
  net::io_context ioc{1};
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::optional<HttpClient> client;  // before the thread: its sockets close while the io_context lives
  std::thread thread;
  std::uint64_t next_id = 0;  // io thread only, as in_flight
  std::atomic<std::uint64_t> epoch{1};

  ~Impl() {
    work.reset();
    ioc.stop();
    if (thread.joinable()) {
      thread.join();
    }
    client.reset();
  }
};

namespace {

Error interrupted() {
  return make_error(ErrorKind::internal, std::string(k_interrupted));
}

}  // namespace

bool is_interrupted(const Error& error) {
  return error.kind == ErrorKind::internal && error.message == k_interrupted;
}

// The Transport a Client uses: every call carries the epoch it was bound to.
class EpochTransport final : public Transport {
 public:
  EpochTransport(std::shared_ptr<CancellableTransport> owner, std::uint64_t epoch)
      : owner_(std::move(owner)), epoch_(epoch) {}
  Result<HttpResponse> send(const HttpRequest& request) override {
    return owner_->call(request, nullptr, epoch_);
  }
  Result<HttpResponse> stream(const HttpRequest& request, const BodySink& sink) override {
    return owner_->call(request, &sink, epoch_);
  }

 private:
  std::shared_ptr<CancellableTransport> owner_;
  std::uint64_t epoch_;
};

CancellableTransport::CancellableTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

// NOLINTNEXTLINE(bugprone-exception-escape): interrupt() throws only std::bad_alloc (see the header)
CancellableTransport::~CancellableTransport() {
  interrupt();
}

Result<std::shared_ptr<CancellableTransport>> CancellableTransport::create(const Config& config) {
  auto impl = std::make_unique<Impl>();
  HttpClientOptions options;
  options.tls = config.tls;
  options.user_agent = "nbs-nomad-client";
  auto client = HttpClient::create(impl->ioc.get_executor(), std::move(options));
  if (!client) {
    return client.error();
  }
  impl->client.emplace(std::move(*client));
  impl->thread = std::thread([ctx = &impl->ioc] { ctx->run(); });
  return std::shared_ptr<CancellableTransport>(new CancellableTransport(std::move(impl)));
}

std::uint64_t CancellableTransport::epoch() const {
  return impl_->epoch.load();
}

void CancellableTransport::interrupt() {
  Impl& im = *impl_;
  const std::uint64_t current = ++im.epoch;
  net::post(im.ioc, [&im, current] {
    for (auto& [id, entry] : im.in_flight) {
      if (entry.first < current) {
        entry.second->emit(net::cancellation_type::terminal);
      }
    }
  });
}

std::shared_ptr<Transport> CancellableTransport::bound(std::uint64_t epoch) {
  return std::make_shared<EpochTransport>(shared_from_this(), epoch);
}

Result<HttpResponse> CancellableTransport::call(const HttpRequest& request, const BodySink* sink,
                                                std::uint64_t epoch) {
  Impl& im = *impl_;
  std::promise<Result<HttpResponse>> promise;
  auto future = promise.get_future();
  // The caller blocks on the future below, so the lambdas may refer to its request, sink and promise.
  net::post(im.ioc, [&im, &promise, &request, sink, epoch] {
    if (epoch != im.epoch.load()) {
      promise.set_value(interrupted());
      return;
    }
    const std::uint64_t id = im.next_id++;
    auto& signal = im.in_flight[id];
    signal = {epoch, std::make_unique<net::cancellation_signal>()};
    auto operation = sink != nullptr ? im.client->stream(request, *sink) : im.client->request(request);
    auto done = [&im, &promise, id, epoch](const std::exception_ptr& error, Result<HttpResponse> result) {
      // Not erased here: this handler runs inside the signal's slot machinery.
      net::post(im.ioc, [&im, id] { im.in_flight.erase(id); });
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& ex) {
          result = make_error(ErrorKind::internal, std::string("http: ") + ex.what());
        } catch (...) {
          result = make_error(ErrorKind::internal, "http: unknown exception");
        }
      }
      if (!result && epoch != im.epoch.load()) {
        result = interrupted();  // the aborted socket's own error would read like a network failure
      }
      promise.set_value(std::move(result));
    };
    net::co_spawn(im.ioc, std::move(operation),
                  net::bind_cancellation_slot(signal.second->slot(), std::move(done)));
  });
  return future.get();
}

}  // namespace nbs::jobs::nomad
