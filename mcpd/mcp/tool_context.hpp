// What a tool handler gets besides its arguments: the caller's identity, progress notifications (sent
// only when the request carried a progressToken), and the request's cancellation signal.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>

#include "mcpd/mcp/cancellation.hpp"
#include "mcpd/mcp/protocol_version.hpp"

namespace nbs::mcpd {

// Delivers one JSON-RPC notification to the client on the request's own stream. Thread-safe; may drop
// the message when the transport cannot stream (e.g. a plain JSON HTTP response).
using NotificationSink = std::function<void(boost::json::object notification)>;

// Facts about the request that are not its arguments.
struct CallInfo {
  std::string principal;  // who called: the token's name, "" when authentication is off
  Era era = Era::legacy;
  std::string protocol_version;
  boost::json::object client_capabilities;           // modern: from _meta; legacy: from initialize (if known)
  std::optional<boost::json::value> progress_token;  // from params._meta.progressToken
  std::string peer;  // the client's address (HTTP), "stdio" on stdio, "" when unknown
};

class ToolContext {
 public:
  ToolContext(CallInfo info, NotificationSink sink, std::shared_ptr<Cancellation> cancellation);

  const std::string& principal() const { return info_.principal; }
  Era era() const { return info_.era; }
  const std::string& protocol_version() const { return info_.protocol_version; }
  const boost::json::object& client_capabilities() const { return info_.client_capabilities; }
  bool has_progress_token() const { return info_.progress_token.has_value(); }
  const std::string& peer() const { return info_.peer; }
  // Who the call counts against for rate limits: the principal when authenticated, else the peer.
  std::string client_key() const;

  // Set when a rate limit refused the call: how long the client should wait (REST Retry-After).
  const std::optional<std::chrono::milliseconds>& retry_after() const { return retry_after_; }
  void set_retry_after(std::chrono::milliseconds wait) { retry_after_ = wait; }

  // Sends notifications/progress{progressToken, progress, total?, message?}. Returns false (and sends
  // nothing) without a progressToken, when `progress` does not increase, or after cancellation.
  bool report_progress(double progress, std::optional<double> total = std::nullopt,
                       std::string_view message = {});

  bool cancelled() const { return cancellation_->cancelled(); }
  // For work handed to another thread: requested when the call is cancelled.
  std::stop_token stop_token() const { return cancellation_->stop_token(); }
  Cancellation& cancellation() { return *cancellation_; }
  std::shared_ptr<Cancellation> cancellation_ptr() const { return cancellation_; }

  // Waits `duration` on the calling coroutine's executor, waking early on cancellation.
  // Returns false if cancelled, true otherwise. For long-polls.
  boost::asio::awaitable<bool> wait_for(std::chrono::steady_clock::duration duration);

  // The same, also ending early when the waker given to `subscribe` is called (from any thread).
  // `subscribe` registers the waker and returns what unregisters it.
  using Waker = std::function<void()>;
  using Subscribe = std::function<std::function<void()>(Waker)>;
  boost::asio::awaitable<bool> wait_for(std::chrono::steady_clock::duration duration,
                                        const Subscribe& subscribe);

 private:
  CallInfo info_;
  NotificationSink sink_;
  std::shared_ptr<Cancellation> cancellation_;
  std::optional<double> last_progress_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

}  // namespace nbs::mcpd
