#include "mcpd/webhooks/webhook_sender.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "common/job_id.hpp"
#include "mcpd/webhooks/webhook_message.hpp"
#include "mcpd/webhooks/webhook_payload.hpp"

#ifndef NBS_VERSION
#define NBS_VERSION "0"
#endif

namespace nbs::mcpd {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string default_webhook_user_agent() {
  return "nbs-mcpd/" NBS_VERSION;
}

std::string_view to_string(WebhookOutcome outcome) {
  switch (outcome) {
    case WebhookOutcome::sent:
      return "sent";
    case WebhookOutcome::failed:
      return "failed";
    case WebhookOutcome::refused:
      return "refused";
    case WebhookOutcome::dropped:
      return "dropped";
    case WebhookOutcome::retrying:
      return "retrying";
  }
  return "failed";
}

namespace {

// Everything one delivery needs, fixed at enqueue(): the body (and so its signature) stays the same
// across attempts, so a receiver can deduplicate by delivery id.
struct Delivery {
  std::string id;
  std::string event;
  std::string job_id;
  std::string url;
  std::string body;
  HttpHeaders headers;
  int attempts = 0;
  int last_status = 0;     // of the last attempt's answer
  std::string last_error;  // what went wrong with the last attempt
};

// An HttpClient per https receiver name: the client's TLS options (SNI and the name the certificate
// must carry) are per client, and the connection goes to an address, not to the name.
constexpr std::size_t k_max_clients = 64;

constexpr std::chrono::seconds k_drop_warning_interval{10};

// The client bounds each step of an exchange; a receiver that answers one byte at a time would still
// hold a delivery slot for as long as it likes. The whole attempt gets one deadline: when the timer wins,
// the request is cancelled (Beast's streams honour per-operation cancellation).
net::awaitable<Result<HttpResponse>> request_within(HttpClient client, HttpRequest request,
                                                    std::chrono::milliseconds deadline) {
  using namespace net::experimental::awaitable_operators;
  net::steady_timer timer(co_await net::this_coro::executor, deadline);
  const std::string what = "http: POST " + request.url;
  auto first = co_await (client.request(std::move(request)) || timer.async_wait(net::use_awaitable));
  if (first.index() == 1) {
    co_return make_error(ErrorKind::timeout,
                         what + ": no complete answer within " + std::to_string(deadline.count()) + " ms");
  }
  co_return std::move(std::get<0>(first));
}

}  // namespace

struct WebhookSender::Impl {
  explicit Impl(WebhookSenderOptions opts) : options(std::move(opts)), random(std::random_device{}()) {
    if (options.user_agent.empty()) {
      options.user_agent = default_webhook_user_agent();
    }
  }

  WebhookSenderOptions options;

  // Shared with enqueue() and the destructor.
  mutable std::mutex mutex;
  std::condition_variable idle;
  std::deque<std::shared_ptr<Delivery>> queue;
  std::set<std::shared_ptr<Delivery>> running;
  bool stopping = false;  // no more enqueues
  bool closed = false;    // the grace is over: outcomes no longer count
  WebhookCounters counts;
  std::optional<std::chrono::steady_clock::time_point> last_drop_warning;

  // The sender's thread only.
  std::mt19937_64 random;
  std::map<std::string, HttpClient> clients;
  std::set<net::steady_timer*> sleeping;
  bool io_stopping = false;

  std::unique_ptr<net::io_context> io = std::make_unique<net::io_context>(1);
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work{io->get_executor()};
  std::thread thread;

  void report(const WebhookReport& r) const {
    if (options.on_report) {
      options.on_report(r);
    }
  }

  WebhookReport report_of(const Delivery& d, WebhookOutcome outcome, int status, std::string error) const {
    return WebhookReport{outcome, d.id, d.event, d.job_id, d.attempts, status, std::move(error)};
  }

  // Records how a started delivery ended, unless the destructor already wrote it off.
  void settle(const Delivery& d, WebhookOutcome outcome, int status, const std::string& error) {
    {
      std::lock_guard lock(mutex);
      if (closed) {
        return;
      }
      switch (outcome) {
        case WebhookOutcome::sent:
          ++counts.sent;
          break;
        case WebhookOutcome::refused:
          ++counts.refused;
          break;
        default:
          ++counts.failed;
          break;
      }
    }
    if (outcome == WebhookOutcome::sent) {
      spdlog::debug("webhooks: {} for job {} delivered ({}), attempt {}", d.event, d.job_id, status,
                    d.attempts);
    } else if (outcome == WebhookOutcome::refused) {
      spdlog::warn("webhooks: {} for job {} (delivery {}) not sent: {}", d.event, d.job_id, d.id, error);
    } else {
      spdlog::warn("webhooks: {} for job {} (delivery {}) {} after {} attempt(s): {}", d.event, d.job_id,
                   d.id, to_string(outcome), d.attempts, error);
    }
    report(report_of(d, outcome, status, error));
  }

  void pump();
  void finished(const std::shared_ptr<Delivery>& d);
  // One attempt's request, or why there is none: `done` (settled: refused, or no client) or `error`
  // (DNS failed: judged like a failure to connect).
  struct Attempt {
    bool done = false;
    std::optional<Error> error;
    std::optional<HttpClient> client;
    HttpRequest request;
  };
  Attempt prepare(Delivery& d, const WebhookUrl& target,
                  const Result<std::vector<net::ip::address>>& addresses);
  // Settles the delivery, or returns how long to wait before the next attempt.
  std::optional<std::chrono::milliseconds> conclude(Delivery& d, const Result<HttpResponse>& answer);
  net::awaitable<void> deliver(std::shared_ptr<Delivery> d);
  net::awaitable<Result<std::vector<net::ip::address>>> resolve(const WebhookUrl& target);
  net::awaitable<bool> sleep(std::chrono::milliseconds delay);
  Result<HttpClient> client_for(const WebhookUrl& target);
  void shutdown();
};

void WebhookSender::Impl::pump() {
  for (;;) {
    std::shared_ptr<Delivery> next;
    {
      std::lock_guard lock(mutex);
      if (closed || queue.empty() || running.size() >= options.max_in_flight) {
        return;
      }
      next = std::move(queue.front());
      queue.pop_front();
      running.insert(next);
    }
    net::co_spawn(*io, deliver(next), [this, next](const std::exception_ptr& error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& ex) {
          spdlog::error("webhooks: delivery ended by an exception: {}", ex.what());
        } catch (...) {
          spdlog::error("webhooks: delivery ended by an unknown exception");
        }
      }
      finished(next);
    });
  }
}

void WebhookSender::Impl::finished(const std::shared_ptr<Delivery>& d) {
  {
    std::lock_guard lock(mutex);
    running.erase(d);
  }
  idle.notify_all();
  pump();
}

net::awaitable<Result<std::vector<net::ip::address>>> WebhookSender::Impl::resolve(const WebhookUrl& target) {
  std::vector<net::ip::address> out;
  if (target.literal) {
    out.push_back(*target.literal);
    co_return out;
  }
  tcp::resolver resolver(*io);
  boost::system::error_code ec;
  auto results =
      co_await resolver.async_resolve(target.host, target.port, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return make_error(ErrorKind::unavailable,
                         "webhook_url: cannot resolve " + target.host + ": " + ec.message());
  }
  for (const auto& entry : results) {
    const auto address = entry.endpoint().address();
    if (std::find(out.begin(), out.end(), address) == out.end()) {
      out.push_back(address);
    }
  }
  co_return out;
}

net::awaitable<bool> WebhookSender::Impl::sleep(std::chrono::milliseconds delay) {
  if (io_stopping) {
    co_return false;
  }
  net::steady_timer timer(*io);
  timer.expires_after(delay);
  sleeping.insert(&timer);
  boost::system::error_code ec;
  co_await timer.async_wait(net::redirect_error(net::use_awaitable, ec));
  sleeping.erase(&timer);
  co_return !ec && !io_stopping;
}

Result<HttpClient> WebhookSender::Impl::client_for(const WebhookUrl& target) {
  const std::string key = target.tls ? "https" : "http";
  if (auto it = clients.find(key); it != clients.end()) {
    return it->second;
  }
  if (clients.size() >= k_max_clients) {
    clients.clear();  // running deliveries keep their own copies
  }
  HttpClientOptions client_options;
  client_options.tls = options.tls;
  client_options.user_agent = options.user_agent;
  client_options.max_idle_per_host = 2;
  auto client = HttpClient::create(io->get_executor(), std::move(client_options));
  if (!client) {
    return client.error();
  }
  clients.emplace(key, *client);
  return *client;
}

WebhookSender::Impl::Attempt WebhookSender::Impl::prepare(
    Delivery& d, const WebhookUrl& target, const Result<std::vector<net::ip::address>>& addresses) {
  Attempt next;
  if (!addresses) {
    next.error = addresses.error();
    return next;
  }
  if (auto allowed = check_addresses(target.host, *addresses, options.private_targets); !allowed) {
    if (allowed.error().kind != ErrorKind::invalid_argument) {
      next.error = allowed.error();
      return next;
    }
    settle(d, WebhookOutcome::refused, 0, allowed.error().message);
    next.done = true;
    return next;
  }
  auto client = client_for(target);
  if (!client) {
    settle(d, WebhookOutcome::failed, 0, client.error().message);
    next.done = true;
    return next;
  }
  next.client = std::move(*client);
  // Successive attempts walk the checked addresses, as a connect to a name would.
  const auto& address = (*addresses)[static_cast<std::size_t>(d.attempts - 1) % addresses->size()];
  next.request.method = "POST";
  next.request.url = std::string(target.url.buffer());
  next.request.connect_to = address.to_string();
  next.request.headers = d.headers;
  next.request.headers.emplace_back(k_attempt_header, std::to_string(d.attempts));
  next.request.body = d.body;
  next.request.timeouts =
      HttpTimeouts{options.attempt_timeout, options.attempt_timeout, options.attempt_timeout};
  next.request.max_body = options.max_response_body;
  return next;
}

std::optional<std::chrono::milliseconds> WebhookSender::Impl::conclude(Delivery& d,
                                                                       const Result<HttpResponse>& answer) {
  const AttemptVerdict verdict = answer ? judge_status(answer->status) : judge_error(answer.error());
  const int status = answer ? answer->status : 0;
  d.last_status = status;
  d.last_error = answer ? "HTTP " + std::to_string(status) : answer.error().message;
  if (verdict == AttemptVerdict::delivered) {
    settle(d, WebhookOutcome::sent, status, {});
    return std::nullopt;
  }
  if (verdict == AttemptVerdict::give_up || d.attempts >= options.retry.max_attempts) {
    settle(d, WebhookOutcome::failed, status, d.last_error);
    return std::nullopt;
  }
  const auto delay = retry_delay(options.retry, d.attempts, answer ? &*answer : nullptr, random);
  {
    std::lock_guard lock(mutex);
    ++counts.retried;
  }
  spdlog::info("webhooks: {} for job {}: attempt {} failed ({}); retrying in {} ms", d.event, d.job_id,
               d.attempts, d.last_error, delay.count());
  report(report_of(d, WebhookOutcome::retrying, status, d.last_error));
  return delay;
}

// The coroutine only sequences the waits; every decision is in prepare() and conclude().
net::awaitable<void> WebhookSender::Impl::deliver(std::shared_ptr<Delivery> d) {
  auto target = parse_webhook_url(d->url);
  if (!target) {
    settle(*d, WebhookOutcome::refused, 0, target.error().message);
    co_return;
  }
  for (;;) {
    ++d->attempts;
    auto addresses = co_await resolve(*target);
    Attempt next = prepare(*d, *target, addresses);
    if (next.done) {
      co_return;
    }
    Result<HttpResponse> answer =
        next.error ? Result<HttpResponse>(*next.error) : Result<HttpResponse>(HttpResponse{});
    if (!next.error) {
      answer = co_await request_within(*next.client, std::move(next.request), options.attempt_timeout);
    }
    const auto delay = conclude(*d, answer);
    if (!delay) {
      co_return;
    }
    const bool awake = co_await sleep(*delay);
    if (!awake) {
      settle(*d, WebhookOutcome::failed, d->last_status,
             d->last_error + "; no retry: the daemon is shutting down");
      co_return;
    }
  }
}

void WebhookSender::Impl::shutdown() {
  {
    std::lock_guard lock(mutex);
    stopping = true;
  }
  // Waiting retries give up at once; a running attempt gets the grace to finish.
  net::post(*io, [this] {
    io_stopping = true;
    for (auto* timer : sleeping) {
      timer->cancel();
    }
  });
  std::set<std::shared_ptr<Delivery>> abandoned;
  std::deque<std::shared_ptr<Delivery>> unsent;
  {
    std::unique_lock lock(mutex);
    idle.wait_for(lock, options.shutdown_grace, [this] { return queue.empty() && running.empty(); });
    closed = true;
    abandoned.swap(running);
    unsent.swap(queue);
    counts.failed += abandoned.size();
    counts.dropped += unsent.size();
  }
  // The deliveries' own thread is still running: read only what it no longer writes.
  for (const auto& d : abandoned) {
    report(WebhookReport{WebhookOutcome::failed, d->id, d->event, d->job_id, 0, 0, "abandoned at shutdown"});
  }
  for (const auto& d : unsent) {
    report(report_of(*d, WebhookOutcome::dropped, 0, "still queued at shutdown"));
  }
  if (!abandoned.empty() || !unsent.empty()) {
    spdlog::warn(
        "webhooks: shutdown grace over: {} delivery(ies) abandoned in flight, {} queued one(s) dropped",
        abandoned.size(), unsent.size());
  }
  work.reset();
  io->stop();
  if (thread.joinable()) {
    thread.join();
  }
  // Sockets before their io_context; the io_context then destroys the abandoned coroutines.
  clients.clear();
  io.reset();
}

Result<std::unique_ptr<WebhookSender>> WebhookSender::create(WebhookSenderOptions options) {
  if (options.queue_capacity == 0 || options.max_in_flight == 0) {
    return make_error(ErrorKind::invalid_argument,
                      "webhooks: queue_capacity and max_in_flight must be positive");
  }
  if (options.retry.max_attempts < 1) {
    return make_error(ErrorKind::invalid_argument, "webhooks: retry.max_attempts must be at least 1");
  }
  if (options.attempt_timeout <= std::chrono::milliseconds(0)) {
    return make_error(ErrorKind::invalid_argument, "webhooks: attempt_timeout must be positive");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  // Loads the TLS files once now, so a bad path fails at startup rather than at the first delivery.
  if (auto probe = HttpClient::create(impl->io->get_executor(), HttpClientOptions{.tls = impl->options.tls});
      !probe) {
    return probe.error();
  }
  impl->thread = std::thread([io = impl->io.get()] { io->run(); });
  return std::unique_ptr<WebhookSender>(new WebhookSender(std::move(impl)));
}

WebhookSender::WebhookSender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

// What shutdown() can throw is std::system_error (a mutex, the join) and std::bad_alloc: failures of the
// process itself, for which std::terminate is the right end.
// NOLINTNEXTLINE(bugprone-exception-escape): only the process's own failures throw, see above
WebhookSender::~WebhookSender() {
  impl_->shutdown();
}

void WebhookSender::enqueue(const JobEvent& event) {
  if (!wants_webhook(event)) {
    return;
  }
  auto d = std::make_shared<Delivery>();
  d->id = new_job_id();
  d->event = event.name;
  d->job_id = event.record.id;
  d->url = event.record.request.webhook_url;
  d->body = webhook_body(event, d->id, now_utc());
  auto custom = custom_webhook_headers(event.record.request.webhook_headers);
  for (const auto& rejected : custom.rejected) {
    spdlog::warn("webhooks: job {}: header {} is not sent", d->job_id, rejected);
  }
  d->headers = webhook_headers(d->event, d->id, d->body, event.record.request.webhook_secret, custom.kept);

  Impl& s = *impl_;
  std::shared_ptr<Delivery> pushed_out;
  std::uint64_t dropped_total = 0;
  std::size_t depth = 0;
  bool warn = false;
  {
    std::lock_guard lock(s.mutex);
    if (s.stopping) {
      ++s.counts.dropped;
      pushed_out = d;
    } else {
      if (s.queue.size() >= s.options.queue_capacity) {
        pushed_out = std::move(s.queue.front());
        s.queue.pop_front();
        ++s.counts.dropped;
      }
      s.queue.push_back(d);
      ++s.counts.queued;
      // Under the lock: once the destructor has set `stopping`, nobody posts to the io_context.
      net::post(*s.io, [impl = &s] { impl->pump(); });
    }
    dropped_total = s.counts.dropped;
    depth = s.queue.size();
    // A receiver that is down for long drops events at the rate jobs make them: one warning per interval
    // (with the running total) is enough; the rest go to the debug log and the counters.
    const auto now = std::chrono::steady_clock::now();
    if (pushed_out && (!s.last_drop_warning || now - *s.last_drop_warning >= k_drop_warning_interval)) {
      s.last_drop_warning = now;
      warn = true;
    }
  }
  if (pushed_out) {
    const std::string why = pushed_out == d ? "the daemon is shutting down" : "the queue is full";
    spdlog::log(warn ? spdlog::level::warn : spdlog::level::debug,
                "webhooks: dropped {} for job {} (delivery {}): {} ({} queued, {} dropped so far)",
                pushed_out->event, pushed_out->job_id, pushed_out->id, why, depth, dropped_total);
    s.report(s.report_of(*pushed_out, WebhookOutcome::dropped, 0, why));
  }
}

Orchestrator::EventSink WebhookSender::sink() {
  return [this](const JobEvent& event) { enqueue(event); };
}

WebhookCounters WebhookSender::counters() const {
  std::lock_guard lock(impl_->mutex);
  WebhookCounters out = impl_->counts;
  out.pending = impl_->queue.size();
  out.in_flight = impl_->running.size();
  return out;
}

}  // namespace nbs::mcpd
