#include "mcpd/tool_context.hpp"

#include "mcpd/json_rpc.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>

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
  if (cancelled()) {
    co_return false;
  }
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor, duration);
  // The cancel may come from another thread: post the timer cancel onto the timer's executor.
  auto handle = cancellation_->on_cancel([timer] { asio::post(timer->get_executor(), [timer] { timer->cancel(); }); });
  boost::system::error_code ec;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  cancellation_->remove(handle);
  co_return !ec && !cancelled();
}

}  // namespace nbs::mcpd
