#include "mcpd/mcp/stdio_transport.hpp"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

namespace nbs::mcpd {
namespace asio = boost::asio;
constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);

StdioTransport::StdioTransport(asio::io_context& io, McpServer& mcp, int in_fd, int out_fd,
                               std::size_t max_line_bytes)
    : mcp_(mcp),
      strand_(asio::make_strand(io)),
      in_(strand_, ::dup(in_fd)),
      out_(strand_, ::dup(out_fd)),
      max_line_bytes_(max_line_bytes) {}

void StdioTransport::start(std::function<void()> on_finished) {
  on_finished_ = std::move(on_finished);
  asio::co_spawn(strand_, read_loop(), [](const std::exception_ptr& e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("stdio: {}", ex.what());
      }
    }
  });
}

asio::awaitable<void> StdioTransport::read_loop() {
  std::string pending;
  bool discarding = false;  // inside a line that exceeded the limit
  std::vector<char> chunk(std::size_t{16} * 1024);
  for (;;) {
    auto [ec, n] = co_await in_.async_read_some(asio::buffer(chunk), k_tuple);
    if (ec) {
      break;  // EOF or a closed descriptor: the client is done with us
    }
    std::string_view data(chunk.data(), n);
    while (!data.empty()) {
      auto newline = data.find('\n');
      std::string_view piece = data.substr(0, newline);
      if (!discarding) {
        pending.append(piece);
      }
      if (pending.size() > max_line_bytes_ && !discarding) {
        discarding = true;
        pending.clear();
      }
      if (newline == std::string_view::npos) {
        break;
      }
      data.remove_prefix(newline + 1);
      if (discarding) {
        discarding = false;
        send(to_wire(make_error_response(
            nullptr, rpc_code::k_invalid_request,
            "Invalid Request: message larger than " + std::to_string(max_line_bytes_) + " bytes")));
        continue;
      }
      std::string line = std::move(pending);
      pending.clear();
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      if (line.find_first_not_of(" \t") == std::string::npos) {
        continue;
      }
      // Every line runs on its own, so a long tools/call does not delay the next message.
      ++running_;
      asio::co_spawn(strand_, handle_line(std::move(line)), asio::detached);
    }
  }
  input_closed_ = true;
  // Waits of running calls end now; builds are never touched by this.
  mcp_.cancel_all("stdin closed");
  boost::system::error_code ignored;
  in_.close(ignored);
  maybe_close_output();
}

void StdioTransport::maybe_close_output() {
  if (input_closed_ && running_ == 0 && !writing_ && queue_.empty() && out_.is_open()) {
    boost::system::error_code ignored;
    out_.close(ignored);
    if (on_finished_) {
      on_finished_();
    }
  }
}

asio::awaitable<void> StdioTransport::handle_line(std::string line) {
  Envelope envelope;
  envelope.transport = Transport::stdio;
  auto cancel = std::make_shared<Cancellation>();
  NotificationSink sink = [this](boost::json::object notification) {
    asio::post(strand_, [this, text = to_wire(std::move(notification))]() mutable { send(std::move(text)); });
  };
  Reply reply;
  try {
    reply = co_await mcp_.handle_frame(line, envelope, std::move(sink), cancel);
  } catch (const std::exception& e) {
    spdlog::error("stdio: {}", e.what());
    reply =
        Reply{500, make_error_response(nullptr, rpc_code::k_internal_error, "Internal error"), std::nullopt};
  }
  // A request the client cancelled gets no response (it no longer waits for one).
  if (reply.body && !cancel->reason().starts_with("notifications/cancelled")) {
    send(to_wire(*reply.body));
  }
  --running_;
  maybe_close_output();
}

void StdioTransport::send(std::string line) {
  if (!out_.is_open()) {
    return;
  }
  line += '\n';
  queue_.push_back(std::move(line));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(strand_, write_loop(), asio::detached);
  }
}

asio::awaitable<void> StdioTransport::write_loop() {
  while (!queue_.empty()) {
    std::string line = std::move(queue_.front());
    queue_.pop_front();
    auto [ec, n] = co_await asio::async_write(out_, asio::buffer(line), k_tuple);
    if (ec) {
      queue_.clear();
      break;
    }
  }
  writing_ = false;
  maybe_close_output();
}

}  // namespace nbs::mcpd
