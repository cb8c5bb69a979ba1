// Who waits for a job's record to change, and waking them: the getStatus long-polls (callbacks, no
// thread held) and wait_for_change (a blocked thread). Every record write of this daemon is counted, so
// a caller that read the count before the record it holds cannot miss a write in between.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace nbs::mcpd {

class ChangeNotifier {
 public:
  // How many record writes this daemon has made.
  std::uint64_t changes();

  // Calls `wake` once, from any thread, when the job's record next changes, or at once if changes()
  // has moved past `since` (or the notifier is stopped). The handle cancels.
  std::uint64_t notify_on_change(const std::string& job_id, std::uint64_t since, std::function<void()> wake);
  void cancel(std::uint64_t handle);

  // A record of the job was written: counts it, wakes its waiters.
  void changed(const std::string& job_id);

  // Blocks until changes() moves past `since`, `deadline` passes or stop(); false once stopped.
  bool wait(std::uint64_t since, std::chrono::steady_clock::time_point deadline);

  // Drops the waiting callbacks (their long-polls end on their own timers) and ends every wait.
  void stop();

 private:
  struct Listener {
    std::string job_id;
    std::function<void()> wake;
  };

  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t changes_ = 0;
  std::uint64_t next_handle_ = 0;
  std::map<std::uint64_t, Listener> listeners_;
  bool stopped_ = false;
};

}  // namespace nbs::mcpd
