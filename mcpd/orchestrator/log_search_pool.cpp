#include "mcpd/orchestrator/log_search_pool.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mcpd/orchestrator/orchestrator.hpp"

namespace nbs::mcpd {
namespace asio = boost::asio;

LogSearchPool::LogSearchPool(Limits limits) : limits_(limits), workers_(limits.threads) {}

LogSearchPool::~LogSearchPool() {
  stopping_.request_stop();
  workers_.join();  // waiting searches still run, and end at once
}

asio::awaitable<Result<LogPage>> LogSearchPool::search(jobs::Executor& executor, jobs::PhaseId id,
                                                       LogQuery query, std::stop_token stop) {
  const std::size_t most = limits_.threads + limits_.max_waiting;
  if (admitted_.fetch_add(1) >= most) {
    admitted_.fetch_sub(1);
    co_return make_error(ErrorKind::unavailable, "getLogs: " + std::to_string(most) +
                                                     " log searches are running or waiting, the most this "
                                                     "daemon takes; retry in a few seconds");
  }
  auto start = [this, &executor, &id, &query, &stop](auto handler) {
    // The caller's io_context must not run out of work while its search is away on a worker.
    auto work = asio::make_work_guard(asio::get_associated_executor(handler));
    asio::post(
        workers_, [this, &executor, id = std::move(id), query = std::move(query), stop = std::move(stop),
                   handler = std::move(handler), work = std::move(work)]() mutable {
          Result<LogPage> page = run(executor, id, query, stop);
          admitted_.fetch_sub(1);
          // The guard goes along: released on the caller's thread, never here after the caller's
          // io_context may have finished and gone.
          const auto caller = work.get_executor();
          asio::post(caller, [handler = std::move(handler), page = std::move(page),
                              work = std::move(work)]() mutable { std::move(handler)(std::move(page)); });
        });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result<LogPage>)>(
      std::move(start), asio::use_awaitable);
}

Result<LogPage> LogSearchPool::run(jobs::Executor& executor, const jobs::PhaseId& id, const LogQuery& query,
                                   const std::stop_token& stop) {
  std::stop_source either;  // the caller's stop or the pool's
  std::stop_callback caller_stopped(stop, [&either] { either.request_stop(); });
  std::stop_callback pool_stopped(stopping_.get_token(), [&either] { either.request_stop(); });
  const SearchLimits limits{std::chrono::steady_clock::now() + limits_.time_limit, either.get_token()};
  // A worker is a completion site like a co_spawn's: an exception would end the thread, and the daemon.
  try {
    return read_logs(executor, id, query, limits);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::internal, std::string("getLogs: the search failed: ") + e.what());
  }
}

// Orchestrator::logs is here, beside the pool it hands greps to, so that orchestrator.cpp stays about
// jobs and their states.
asio::awaitable<Result<LogPage>> Orchestrator::logs(jobs::PhaseId phase, LogQuery query,
                                                    LogSearchPool& searches, std::stop_token stop) {
  if (query.mode != LogMode::grep) {
    co_return read_logs(executor_, phase, query);
  }
  co_return co_await searches.search(executor_, std::move(phase), std::move(query), std::move(stop));
}

}  // namespace nbs::mcpd
