// MCP over stdio: newline-delimited JSON-RPC on two file descriptors (stdin/stdout in the daemon,
// pipes in tests). Calls run concurrently, so a long-poll never holds up ping or cancellation; output
// lines are written in order by one writer. Ends when the input reaches EOF.
#pragma once

#include <deque>
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "mcpd/mcp/mcp_server.hpp"

namespace nbs::mcpd {

class StdioTransport {
 public:
  // Takes duplicates of `in_fd` and `out_fd` (the originals stay open). Lines longer than
  // `max_line_bytes` are answered with -32600 and skipped.
  StdioTransport(boost::asio::io_context& io, McpServer& mcp, int in_fd, int out_fd,
                 std::size_t max_line_bytes);

  // Starts reading; `on_finished` runs (on the transport's strand) after EOF once running calls and
  // output have finished.
  void start(std::function<void()> on_finished = {});

 private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> handle_line(std::string line);
  boost::asio::awaitable<void> write_loop();
  void send(std::string line);  // on the strand
  void maybe_close_output();    // after EOF, once nothing is running or queued

  McpServer& mcp_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::posix::stream_descriptor in_;
  boost::asio::posix::stream_descriptor out_;
  std::size_t max_line_bytes_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool input_closed_ = false;
  std::size_t running_ = 0;  // lines being handled
  std::function<void()> on_finished_;
};

}  // namespace nbs::mcpd
