#include "mcpd/mcp/tool_context.hpp"

#include <cmath>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mcpd/mcp/json_rpc.hpp"

namespace nbs::mcpd {
namespace asio = boost::asio;

namespace {

// Whole numbers go out as integers ("progress":2, not 2E0).
boost::json::value number(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9e15) {
    return static_cast<std::int64_t>(v);
  }
  return v;
}

}  // namespace

ToolContext::ToolContext(CallInfo info, NotificationSink sink, std::shared_ptr<Cancellation> cancellation)
    : info_(std::move(info)),
      sink_(std::move(sink)),
      cancellation_(cancellation ? std::move(cancellation) : std::make_shared<Cancellation>()) {}

std::string ToolContext::client_key() const {
  if (!info_.principal.empty()) {
    return "principal:" + info_.principal;
  }
  return "peer:" + info_.peer;
}

bool ToolContext::report_progress(double progress, std::optional<double> total, std::string_view message) {
  if (!info_.progress_token || !sink_ || cancelled()) {
    return false;
  }
  // The spec requires progress to increase with every notification.
  if (last_progress_ && progress <= *last_progress_) {
    return false;
  }
  last_progress_ = progress;
  boost::json::object params;
  params["progressToken"] = *info_.progress_token;
  params["progress"] = number(progress);
  if (total) {
    params["total"] = number(*total);
  }
  if (!message.empty()) {
    params["message"] = message;
  }
  sink_(make_notification("notifications/progress", std::move(params)));
  return true;
}

asio::awaitable<bool> ToolContext::wait_for(std::chrono::steady_clock::duration duration) {
  co_return co_await wait_for(duration, Subscribe{});
}

asio::awaitable<bool> ToolContext::wait_for(std::chrono::steady_clock::duration duration,
                                            const Subscribe& subscribe) {
  if (cancelled()) {
    co_return false;
  }
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor, duration);
  // Wakers may run on another thread: they post the timer's cancel onto its executor.
  Waker wake = [timer] { asio::post(timer->get_executor(), [timer] { timer->cancel(); }); };
  auto handle = cancellation_->on_cancel(wake);
  std::function<void()> unsubscribe = subscribe ? subscribe(wake) : nullptr;
  boost::system::error_code ec;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  cancellation_->remove(handle);
  if (unsubscribe) {
    unsubscribe();
  }
  co_return !cancelled();
}

}  // namespace nbs::mcpd
