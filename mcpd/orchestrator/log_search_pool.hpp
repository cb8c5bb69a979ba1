// Runs getLogs greps beside the I/O threads, so a search never holds up /health or another call: a
// few worker threads, a bounded number of searches waiting for one (past it the pool is busy), a time
// limit per search, and the caller's stop token (the client went away, the daemon is stopping).
#pragma once

#include <atomic>
#include <chrono>
#include <stop_token>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "mcpd/orchestrator/log_query.hpp"

namespace nbs::mcpd {

class LogSearchPool {
 public:
  struct Limits {
    std::size_t threads = 2;
    std::size_t max_waiting = 8;  // searches admitted beyond the running ones
    std::chrono::milliseconds time_limit{std::chrono::seconds(5)};  // from when a worker starts it
  };

  explicit LogSearchPool(Limits limits);
  // Stops every search (as if its caller had gone away) and waits for the workers. A worker holds its
  // caller's executor until it ends: destroy the pool before the io_contexts of its callers.
  ~LogSearchPool();
  LogSearchPool(const LogSearchPool&) = delete;
  LogSearchPool& operator=(const LogSearchPool&) = delete;

  // read_logs() on a worker, resuming the caller on its own executor (whose io_context stays busy
  // until then). A search stopped by its time limit or `stop` answers with the page so far
  // (SearchStop::deadline / cancelled) and a cursor to continue. Fails with unavailable, at once, when
  // threads + max_waiting searches are admitted already. `executor` must outlive the search.
  boost::asio::awaitable<Result<LogPage>> search(jobs::Executor& executor, jobs::PhaseId id, LogQuery query,
                                                 std::stop_token stop);

  // Searches admitted and not finished (running or waiting for a worker).
  std::size_t admitted() const { return admitted_.load(); }
  const Limits& limits() const { return limits_; }

 private:
  Result<LogPage> run(jobs::Executor& executor, const jobs::PhaseId& id, const LogQuery& query,
                      const std::stop_token& stop);

  const Limits limits_;
  std::atomic<std::size_t> admitted_ = 0;
  std::stop_source stopping_;
  boost::asio::thread_pool workers_;
};

}  // namespace nbs::mcpd
