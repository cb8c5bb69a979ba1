// The cancellation signal of one in-flight request: fired when the client disconnects, sends
// notifications/cancelled, or the daemon shuts down. Thread-safe; callbacks run once, on the thread
// that cancels, so they must only post work (e.g. cancel a timer through its executor).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>

namespace nbs::mcpd {

class Cancellation {
 public:
  bool cancelled() const;
  // Why it was cancelled ("client disconnected", "notifications/cancelled: <reason>", "shutdown").
  std::string reason() const;

  // Fires every registered callback once; later calls do nothing.
  void cancel(std::string reason);

  // Registers `fn`; runs it at once (on this thread) if already cancelled. Returns a handle for remove().
  std::uint64_t on_cancel(std::function<void()> fn);
  void remove(std::uint64_t handle);

  // Requested when cancel() is called: for work on other threads that polls instead of being woken
  // (a log search checks it between lines). Stays valid after this object is gone.
  std::stop_token stop_token() const { return stop_.get_token(); }

 private:
  std::stop_source stop_;
  mutable std::mutex mutex_;
  bool cancelled_ = false;
  std::string reason_;
  std::uint64_t next_handle_ = 1;
  std::map<std::uint64_t, std::function<void()>> callbacks_;
};

}  // namespace nbs::mcpd
