// The Connection class template that serves one HTTP/1.1 connection over a stream, included by
// http_connection_plain.cpp and http_connection_tls.cpp: each instantiates it for its own stream type, so
// the two (the heaviest code of the daemon to compile) build in parallel. Include it nowhere else: what
// it declares is internal to those two files.
#pragma once

#include <cerrno>
#include <deque>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "mcpd/http/http_connection.hpp"
#include "mcpd/http/http_routes.hpp"
#include "mcpd/http/mcp_http_handler.hpp"
#include "mcpd/http/rest_mirror.hpp"
#include "mcpd/http/sse.hpp"
#include "mcpd/mcp/json_rpc.hpp"

namespace nbs::mcpd {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto k_tuple = asio::as_tuple(use_awaitable);
constexpr std::chrono::milliseconds k_reserve_header_timeout{5'000};

namespace {

// A finished call: HTTP status and serialized JSON body (empty body: 202 without content).
struct JobOutcome {
  unsigned status = 200;
  std::string body;
  std::optional<std::string> session_id;
  std::optional<std::string> retry_after;  // Retry-After seconds of a rate-limited REST call
};

// Events between a running call (any thread) and the connection coroutine (the strand).
struct CallChannel {
  explicit CallChannel(const asio::any_io_executor& ex) : wake(ex) {}
  asio::steady_timer wake;
  std::deque<std::string> events;
  std::optional<JobOutcome> final;
  bool disconnected = false;
  asio::cancellation_signal watch;
};

JobOutcome outcome_of(const Reply& reply) {
  JobOutcome out{static_cast<unsigned>(reply.body ? reply.http_status : 202), "", reply.session_id,
                 std::nullopt};
  if (reply.body) {
    out.body = to_wire(*reply.body);
  }
  return out;
}

asio::awaitable<JobOutcome> run_mcp_call(McpServer& mcp, PendingCall call, NotificationSink sink,
                                         std::shared_ptr<Cancellation> cancel) {
  Reply reply = co_await mcp.run(std::move(call), std::move(sink), std::move(cancel));
  co_return outcome_of(reply);
}

// Whole seconds, rounded up, for a Retry-After header.
std::optional<std::string> retry_after_seconds(const std::optional<std::chrono::milliseconds>& wait) {
  if (!wait) {
    return std::nullopt;
  }
  return std::to_string(std::max<std::int64_t>(1, (wait->count() + 999) / 1000));
}

asio::awaitable<JobOutcome> run_rest_call(RestCall call, CallInfo info,
                                          std::shared_ptr<Cancellation> cancel) {
  ToolContext ctx(std::move(info), NotificationSink{}, std::move(cancel));
  Result<ToolResult> outcome = co_await invoke_tool(*call.tool, call.arguments, ctx);
  RestResponse response = rest_response(outcome);
  co_return JobOutcome{static_cast<unsigned>(response.status), json::serialize(response.body), std::nullopt,
                       retry_after_seconds(ctx.retry_after())};
}

CallInfo rest_call_info(const std::string& principal, const std::string& peer) {
  return CallInfo{principal, Era::legacy, "rest", {}, std::nullopt, peer};
}

// Watches the socket for the peer closing it while a response is being prepared. A readable socket
// with no data means the client went away; pending data (a pipelined request) ends the watch.
void watch_disconnect(tcp::socket& socket, const std::shared_ptr<CallChannel>& channel,
                      const std::shared_ptr<Cancellation>& cancel) {
  socket.async_wait(
      tcp::socket::wait_read,
      asio::bind_cancellation_slot(channel->watch.slot(), [&socket, weak = std::weak_ptr(channel),
                                                           cancel](boost::system::error_code ec) {
        auto ch = weak.lock();
        if (ec || !ch) {
          return;
        }
        char byte = 0;
        ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
          ch->disconnected = true;
          cancel->cancel("client disconnected");
          ch->wake.cancel();
        }
      }));
}

template <class Stream>
class Connection {
 public:
  Connection(Stream& stream, ConnectionControl& control, const HttpOptions& options, HttpServices& services)
      : stream_(stream), control_(control), options_(options), services_(services) {}

  asio::awaitable<void> run() {
    boost::system::error_code ec;
    peer_ = socket().remote_endpoint(ec).address().to_string();
    for (;;) {
      bool keep_going = co_await handle_one();
      if (!keep_going || control_.stopping) {
        break;
      }
    }
  }

 private:
  tcp::socket& socket() { return beast::get_lowest_layer(stream_).socket(); }

  asio::awaitable<bool> write(HttpResponse res) {
    beast::get_lowest_layer(stream_).expires_after(options_.write_timeout);
    auto [ec, n] = co_await http::async_write(stream_, res, k_tuple);
    beast::get_lowest_layer(stream_).expires_never();
    last_status_ = res.result_int();
    co_return !ec;
  }

  asio::awaitable<bool> write_bytes(std::string bytes, bool as_chunk) {
    beast::get_lowest_layer(stream_).expires_after(options_.write_timeout);
    boost::system::error_code ec;
    if (as_chunk) {
      std::tie(ec, std::ignore) =
          co_await asio::async_write(stream_, http::make_chunk(asio::buffer(bytes)), k_tuple);
    } else {
      std::tie(ec, std::ignore) = co_await asio::async_write(stream_, asio::buffer(bytes), k_tuple);
    }
    beast::get_lowest_layer(stream_).expires_never();
    co_return !ec;
  }

  asio::awaitable<bool> write_last_chunk() {
    beast::get_lowest_layer(stream_).expires_after(options_.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, http::make_chunk_last(), k_tuple);
    beast::get_lowest_layer(stream_).expires_never();
    co_return !ec;
  }

  asio::awaitable<bool> write_sse_header(unsigned version, bool keep_alive,
                                         const std::optional<std::string>& session) {
    http::response<http::empty_body> res{http::status::ok, version};
    res.set(http::field::server, "nbs-mcpd");
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-cache, no-transform");
    res.set("X-Accel-Buffering", "no");
    if (session) {
      res.set("Mcp-Session-Id", *session);
    }
    res.keep_alive(keep_alive);
    res.chunked(true);
    http::response_serializer<http::empty_body> serializer{res};
    beast::get_lowest_layer(stream_).expires_after(options_.write_timeout);
    auto [ec, n] = co_await http::async_write_header(stream_, serializer, k_tuple);
    beast::get_lowest_layer(stream_).expires_never();
    last_status_ = 200;
    co_return !ec;
  }

  // Reads and answers one request. Returns false when the connection must close.
  asio::awaitable<bool> handle_one() {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.header_limit_bytes));
    // Unlimited while the header is read, so an oversized Content-Length reaches check_header (413
    // with the sizes); the configured limit applies from the body on.
    parser.body_limit(boost::none);
    control_.phase = ConnectionControl::Phase::idle;
    // A reserve connection gets less time: the reserve is small, and health checks ask at once.
    beast::get_lowest_layer(stream_).expires_after(
        limited() ? std::min(options_.header_timeout, k_reserve_header_timeout) : options_.header_timeout);
    auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser, k_tuple);
    control_.phase = ConnectionControl::Phase::busy;
    started_ = std::chrono::steady_clock::now();
    if (ec) {
      if (ec == http::error::header_limit) {
        co_await write(text_response(431, "request header too large\n", "text/plain", 11, false));
        record("other");
      } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
                 ec != http::error::end_of_stream && ec != http::error::partial_message) {
        co_await write(text_response(400, "malformed request\n", "text/plain", 11, false));
        record("other");
      }
      co_return false;
    }
    auto& header = parser.get();
    RouteMatch route = match_route(header.target(), services_.mcp.tools());
    std::string principal;
    if (auto denied = check_header(header, route, options_, services_, principal)) {
      co_await write(std::move(*denied));
      record(route.label);
      co_return false;
    }
    if (auto refused = check_limits(control_.ticket.get(), route, principal, header.version())) {
      co_await write(std::move(*refused));
      record(route.label);
      co_return false;
    }
    if (header[http::field::expect] == "100-continue") {
      http::response<http::empty_body> cont{http::status::continue_, header.version()};
      beast::get_lowest_layer(stream_).expires_after(options_.write_timeout);
      auto [wec, wn] = co_await http::async_write(stream_, cont, k_tuple);
      if (wec) {
        co_return false;
      }
    }
    parser.body_limit(options_.max_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(options_.body_timeout);
    std::tie(ec, n) = co_await http::async_read(stream_, buffer_, parser, k_tuple);
    beast::get_lowest_layer(stream_).expires_never();
    if (ec) {
      if (ec == http::error::body_limit) {
        HttpResponse res = rest_error_response(
            make_field_errors({{"body", "is larger than the limit of " +
                                            std::to_string(options_.max_body_bytes) + " bytes"}}),
            header.version(), false);
        res.result(http::status::payload_too_large);
        co_await write(std::move(res));
        record(route.label);
      }
      co_return false;
    }
    HttpRequest req = parser.release();
    bool keep_alive = req.keep_alive() && !control_.stopping && !limited();
    bool ok = co_await dispatch(req, route, principal, keep_alive);
    record(route.label);
    co_return ok&& keep_alive;
  }

  bool limited() const { return control_.ticket && control_.ticket->limited(); }

  void record(const std::string& route) {
    count_request(services_.metrics, route, last_status_, std::chrono::steady_clock::now() - started_);
  }

  asio::awaitable<bool> dispatch(HttpRequest& req, const RouteMatch& route, const std::string& principal,
                                 bool keep_alive) {
    unsigned v = req.version();
    switch (route.route) {
      case Route::health:
        co_return co_await write(health_response(v, keep_alive));
      case Route::metrics:
        co_return co_await write(metrics_response(services_.metrics, v, keep_alive));
      case Route::ready:
        co_return co_await ready(v, keep_alive);
      case Route::rest_tool:
      case Route::rest_job:
        co_return co_await rest(req, route, principal, keep_alive);
      case Route::rest_schema: {
        RestResponse schema = rest_input_schema(services_.mcp.tools(), route.tool);
        co_return co_await write(json_response(schema.status, schema.body, v, keep_alive));
      }
      case Route::mcp:
        co_return co_await mcp(req, principal, keep_alive);
      default:
        co_return co_await write(
            rest_error_response(make_error(ErrorKind::not_found, "path: no route"), v, keep_alive));
    }
  }

  asio::awaitable<bool> ready(unsigned v, bool keep_alive) {
    Status status;
    if (services_.readiness) {
      try {
        status = co_await services_.readiness();
      } catch (const std::exception& e) {
        status = make_error(ErrorKind::internal, std::string("readiness: ") + e.what());
      }
    }
    co_return co_await write(ready_response(status, v, keep_alive));
  }

  // /mcp: the handler decides (mcp_http_handler.hpp); this carries its plan out on the socket.
  asio::awaitable<bool> mcp(HttpRequest& req, const std::string& principal, bool keep_alive) {
    unsigned v = req.version();
    McpPlan plan = plan_mcp_request(services_.mcp, req, principal, peer_, keep_alive);
    if (auto* response = std::get_if<HttpResponse>(&plan)) {
      co_return co_await write(std::move(*response));
    }
    if (auto* frame = std::get_if<McpRunFrame>(&plan)) {
      Reply reply =
          co_await services_.mcp.handle_frame(req.body(), frame->envelope, NotificationSink{}, nullptr);
      co_return co_await write(reply_response(reply, v, keep_alive));
    }
    if (auto* stream = std::get_if<McpOpenStream>(&plan)) {
      co_return co_await keep_alive_stream(*stream, v, keep_alive);
    }
    co_return co_await run_call(std::move(std::get<McpRunCall>(plan)), v, keep_alive);
  }

  // One tools/call, answered as JSON or, with a progress token and an SSE-accepting client, as a stream
  // of its notifications then its result.
  asio::awaitable<bool> run_call(McpRunCall run, unsigned v, bool keep_alive) {
    auto cancel = std::make_shared<Cancellation>();
    auto executor = co_await asio::this_coro::executor;
    auto channel = std::make_shared<CallChannel>(executor);
    NotificationSink sink;
    if (run.sse) {
      sink = [weak = std::weak_ptr(channel), executor](json::object notification) {
        asio::post(executor, [weak, text = to_wire(std::move(notification))]() mutable {
          if (auto ch = weak.lock()) {
            ch->events.push_back(std::move(text));
            ch->wake.cancel();
          }
        });
      };
    }
    auto outcome =
        co_await supervise(run_mcp_call(services_.mcp, std::move(run.call), std::move(sink), cancel), channel,
                           cancel, run.sse ? std::optional<unsigned>(v) : std::nullopt, keep_alive);
    if (!outcome) {
      co_return false;
    }
    if (run.sse) {
      co_return co_await write_bytes(sse_message(outcome->body), true) && co_await write_last_chunk();
    }
    HttpResponse res =
        text_response(outcome->status, std::move(outcome->body), "application/json", v, keep_alive);
    co_return co_await write(std::move(res));
  }

  // Runs `job` beside this coroutine: streams its notifications as SSE (when `sse_version` is set) with
  // heartbeats, and cancels it if the client disconnects. Returns its outcome, or nullopt if the client
  // is gone (the job then finishes on its own, with its cancellation fired).
  asio::awaitable<std::optional<JobOutcome>> supervise(asio::awaitable<JobOutcome> job,
                                                       std::shared_ptr<CallChannel> channel,
                                                       std::shared_ptr<Cancellation> cancel,
                                                       std::optional<unsigned> sse_version, bool keep_alive) {
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, std::move(job), [channel](const std::exception_ptr& e, JobOutcome outcome) {
      if (e) {
        outcome = JobOutcome{
            500, to_wire(make_error_response(nullptr, rpc_code::k_internal_error, "Internal error")),
            std::nullopt, std::nullopt};
      }
      channel->final = std::move(outcome);
      channel->wake.cancel();
    });
    control_.phase = ConnectionControl::Phase::busy;
    control_.current_call = cancel;
    if (control_.stopping) {
      cancel->cancel("shutdown");
    }
    watch_disconnect(socket(), channel, cancel);
    bool sse = sse_version.has_value();
    if (sse && !co_await write_sse_header(*sse_version, keep_alive, std::nullopt)) {
      channel->disconnected = true;
    }
    while (!channel->disconnected) {
      while (!channel->events.empty() && !channel->disconnected) {
        std::string event = std::move(channel->events.front());
        channel->events.pop_front();
        if (sse && !co_await write_bytes(sse_message(event), true)) {
          channel->disconnected = true;
        }
      }
      if (channel->final || channel->disconnected) {
        break;
      }
      channel->wake.expires_after(sse ? options_.heartbeat_interval : std::chrono::hours(24));
      auto [ec] = co_await channel->wake.async_wait(k_tuple);
      if (!ec && sse && !channel->final && !co_await write_bytes(sse_comment("keep-alive"), true)) {
        channel->disconnected = true;
      }
    }
    channel->watch.emit(asio::cancellation_type::terminal);
    control_.current_call.reset();
    if (channel->disconnected) {
      cancel->cancel("client disconnected");
      co_return std::nullopt;
    }
    co_return std::move(channel->final);
  }

  // Legacy GET /mcp: keep-alive comments until the client leaves, the daemon stops or the session ends.
  asio::awaitable<bool> keep_alive_stream(const McpOpenStream& stream, unsigned v, bool keep_alive) {
    if (!co_await write_sse_header(v, keep_alive, std::nullopt) ||
        !co_await write_bytes(sse_comment("stream open"), true)) {
      co_return false;
    }
    control_.phase = ConnectionControl::Phase::streaming;
    auto executor = co_await asio::this_coro::executor;
    auto channel = std::make_shared<CallChannel>(executor);
    auto cancel = std::make_shared<Cancellation>();
    for (;;) {
      watch_disconnect(socket(), channel, cancel);
      channel->wake.expires_after(options_.heartbeat_interval);
      co_await channel->wake.async_wait(k_tuple);
      channel->watch.emit(asio::cancellation_type::terminal);
      if (channel->disconnected || control_.stopping || !mcp_stream_open(services_.mcp, stream)) {
        break;
      }
      if (!co_await write_bytes(sse_comment("keep-alive"), true)) {
        co_return false;
      }
    }
    if (channel->disconnected) {
      co_return false;
    }
    co_await write_last_chunk();
    co_return false;
  }

  asio::awaitable<bool> rest(HttpRequest& req, const RouteMatch& route, const std::string& principal,
                             bool keep_alive) {
    unsigned v = req.version();
    Result<RestCall> call = [&]() -> Result<RestCall> {
      if (route.route == Route::rest_tool) {
        return rest_tool_call(services_.mcp.tools(), route.tool, req.body());
      }
      auto url = boost::urls::parse_origin_form(req.target());
      return rest_job_call(services_.mcp.tools(), route.job_id, route.action, url->params());
    }();
    if (!call) {
      co_return co_await write(rest_error_response(call.error(), v, keep_alive));
    }
    auto cancel = std::make_shared<Cancellation>();
    auto channel = std::make_shared<CallChannel>(co_await asio::this_coro::executor);
    auto outcome =
        co_await supervise(run_rest_call(std::move(*call), rest_call_info(principal, peer_), cancel), channel,
                           cancel, std::nullopt, keep_alive);
    if (!outcome) {
      co_return false;
    }
    HttpResponse res =
        text_response(outcome->status, std::move(outcome->body), "application/json", v, keep_alive);
    if (outcome->retry_after) {
      res.set(http::field::retry_after, *outcome->retry_after);
    }
    co_return co_await write(std::move(res));
  }

  Stream& stream_;
  ConnectionControl& control_;
  const HttpOptions& options_;
  HttpServices& services_;
  beast::flat_buffer buffer_;
  unsigned last_status_ = 0;
  std::chrono::steady_clock::time_point started_{};
  std::string peer_;  // the client's address: who a rate limit counts calls against without auth
};

}  // namespace

}  // namespace nbs::mcpd
