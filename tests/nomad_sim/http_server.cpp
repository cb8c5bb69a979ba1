#include "tests/nomad_sim/http_server.hpp"

#include <iostream>
#include <random>
#include <sys/socket.h>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url.hpp>

namespace nbs::nomad_sim {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;
constexpr auto k_tuple = net::as_tuple(use_awaitable);

constexpr auto k_read_timeout = std::chrono::seconds(120);
constexpr auto k_write_timeout = std::chrono::seconds(30);
constexpr auto k_max_block = std::chrono::seconds(300);
constexpr auto k_heartbeat = std::chrono::seconds(1);
constexpr auto k_stream_poll = std::chrono::milliseconds(200);

template <class Stream>
auto& lowest(Stream& s) {
  return beast::get_lowest_layer(s);
}

std::optional<SimRequest> to_sim_request(const http::request<http::string_body>& req) {
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) {
    return std::nullopt;
  }
  SimRequest out;
  out.method = std::string(req.method_string());
  out.path = url->path();
  for (const auto& p : url->params()) {
    out.query[p.key] = p.has_value ? p.value : std::string();
  }
  out.body = req.body();
  if (const auto it = req.find("X-Nomad-Token"); it != req.end()) {
    out.token = std::string(it->value());
  } else if (const auto auth = req.find(http::field::authorization); auth != req.end()) {
    std::string_view v = auth->value();
    if (v.substr(0, 7) == "Bearer ") {
      v.remove_prefix(7);
      out.token = std::string(v.substr(0, v.find(' ')));
    }
  }
  return out;
}

template <class Stream>
awaitable<bool> write_response(Stream& stream, const SimResponse& r, bool keep_alive, unsigned version) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "nomad-sim");
  if (!r.content_type.empty()) {
    res.set(http::field::content_type, r.content_type);
  }
  for (const auto& [k, v] : r.headers) {
    res.set(k, v);
  }
  if (r.query_index) {
    res.set("X-Nomad-Index", std::to_string(*r.query_index));
    res.set("X-Nomad-KnownLeader", "true");
    res.set("X-Nomad-LastContact", "0");
  } else if (r.write_index) {
    res.set("X-Nomad-Index", std::to_string(*r.write_index));
  }
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  lowest(stream).expires_after(k_write_timeout);
  const auto written = co_await http::async_write(stream, res, k_tuple);
  co_return !std::get<0>(written);
}

// Ref §1.2: re-run until the index passes min_index or the wait (capped, plus up to wait/16) ends.
awaitable<SimResponse> run_blocking(SimContext& ctx, const BlockingQuery& q) {
  auto wait = std::min<std::chrono::milliseconds>(q.wait, k_max_block);
  std::random_device rd;
  const auto jitter_range = static_cast<std::uint64_t>(wait.count() / 16);
  const auto jitter = std::chrono::milliseconds(jitter_range == 0 ? 0 : rd() % (jitter_range + 1));
  const auto deadline = std::chrono::steady_clock::now() + wait + jitter;
  auto executor = co_await net::this_coro::executor;
  ChangeNotifier& notifier = ctx.state.notifier();
  for (;;) {
    const std::uint64_t generation = notifier.generation();
    SimResponse r = q.run();
    if (r.query_index.value_or(0) > q.min_index || std::chrono::steady_clock::now() >= deadline) {
      co_return r;
    }
    auto timer = std::make_shared<net::steady_timer>(executor, deadline);
    const std::uint64_t id = notifier.subscribe(
        generation, [timer] { net::post(timer->get_executor(), [timer] { timer->cancel(); }); });
    co_await timer->async_wait(k_tuple);
    notifier.unsubscribe(id);
  }
}

template <class Stream>
bool peer_closed(Stream& stream) {
  char c = 0;
  const auto fd = lowest(stream).socket().native_handle();
  return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

template <class Stream>
awaitable<void> write_stream(Stream& stream, StreamReply& reply, unsigned version) {
  http::response<http::empty_body> res{http::status::ok, version};
  res.set(http::field::server, "nomad-sim");
  res.set(http::field::content_type, reply.content_type);
  res.chunked(true);
  res.keep_alive(false);
  http::response_serializer<http::empty_body> sr{res};
  lowest(stream).expires_after(k_write_timeout);
  const auto header = co_await http::async_write_header(stream, sr, k_tuple);
  if (std::get<0>(header)) {
    co_return;
  }
  const auto executor = co_await net::this_coro::executor;
  net::steady_timer timer(executor);
  auto idle_since = std::chrono::steady_clock::now();
  for (;;) {
    std::string data = reply.stream->poll();
    const auto now = std::chrono::steady_clock::now();
    if (data.empty() && reply.stream->finished()) {
      break;
    }
    if (data.empty() && now - idle_since >= k_heartbeat) {
      data = reply.stream->heartbeat();
      idle_since = now;
    }
    if (!data.empty()) {
      idle_since = now;
      lowest(stream).expires_after(k_write_timeout);
      const auto chunk = co_await net::async_write(stream, http::make_chunk(net::buffer(data)), k_tuple);
      if (std::get<0>(chunk)) {
        co_return;
      }
      continue;
    }
    if (peer_closed(stream)) {
      co_return;
    }
    timer.expires_after(k_stream_poll);
    co_await timer.async_wait(k_tuple);
  }
  lowest(stream).expires_after(k_write_timeout);
  co_await net::async_write(stream, http::make_chunk_last(), k_tuple);
}

template <class Stream>
awaitable<void> serve(Stream& stream, SimContext& ctx) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t{64} * 1024 * 1024);
    lowest(stream).expires_after(k_read_timeout);
    const auto read = co_await http::async_read(stream, buffer, parser, k_tuple);
    if (std::get<0>(read)) {
      co_return;
    }
    const http::request<http::string_body>& req = parser.get();
    const bool keep_alive = req.keep_alive();
    auto sim_req = to_sim_request(req);
    if (!sim_req) {
      const SimResponse bad = text_error(400, "invalid request target");
      co_await write_response(stream, bad, false, req.version());
      co_return;
    }
    if (const auto latency = ctx.faults.latency();
        latency.count() > 0 && sim_req->path.rfind("/sim/", 0) != 0) {
      const auto executor = co_await net::this_coro::executor;
      net::steady_timer delay(executor, latency);
      co_await delay.async_wait(k_tuple);
    }
    Reply reply = route_request(ctx, *sim_req);
    if (reply.stream) {
      co_await write_stream(stream, *reply.stream, req.version());
      co_return;
    }
    SimResponse response;
    if (reply.query) {
      response = co_await run_blocking(ctx, *reply.query);
    } else {
      response = std::move(*reply.response);
    }
    const bool ok = co_await write_response(stream, response, keep_alive, req.version());
    if (!ok || !keep_alive) {
      break;
    }
  }
  beast::error_code ignored;
  lowest(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
}

awaitable<void> serve_plain(tcp::socket socket, SimContext& ctx) {
  beast::tcp_stream stream(std::move(socket));
  co_await serve(stream, ctx);
}

awaitable<void> serve_tls(tcp::socket socket, SimContext& ctx, ssl::context& tls) {
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls);
  lowest(stream).expires_after(k_read_timeout);
  const auto handshake = co_await stream.async_handshake(ssl::stream_base::server, k_tuple);
  if (std::get<0>(handshake)) {
    co_return;
  }
  co_await serve(stream, ctx);
  lowest(stream).expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(k_tuple);
}

void log_exception(const std::exception_ptr& e) {
  if (!e) {
    return;
  }
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::cerr << "nomad-sim: connection error: " << ex.what() << "\n";
  }
}

awaitable<void> accept_loop(net::io_context& ioc, tcp::acceptor& acceptor, SimContext& ctx,
                            ssl::context* tls) {
  for (;;) {
    auto accepted = co_await acceptor.async_accept(net::make_strand(ioc), k_tuple);
    const auto ec = std::get<0>(accepted);
    auto socket = std::move(std::get<1>(accepted));
    if (ec == net::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      continue;
    }
    if (ctx.faults.refusing()) {
      boost::system::error_code ignored;
      socket.set_option(net::socket_base::linger(true, 0), ignored);
      socket.close(ignored);
      ctx.stats.count_refused();
      continue;
    }
    auto executor = socket.get_executor();
    if (tls != nullptr) {
      net::co_spawn(executor, serve_tls(std::move(socket), ctx, *tls), log_exception);
    } else {
      net::co_spawn(executor, serve_plain(std::move(socket), ctx), log_exception);
    }
  }
}

std::optional<tcp::endpoint> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  const auto address = net::ip::make_address(listen.substr(0, colon), ec);
  if (ec) {
    return std::nullopt;
  }
  try {
    return tcp::endpoint(address, static_cast<unsigned short>(std::stoul(listen.substr(colon + 1))));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::unique_ptr<ssl::context> make_tls(const SimConfig& config) {
  auto tls = std::make_unique<ssl::context>(ssl::context::tls_server);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  tls->use_certificate_chain_file(config.tls_cert);
  tls->use_private_key_file(config.tls_key, ssl::context::pem);
  if (!config.tls_ca.empty()) {
    tls->load_verify_file(config.tls_ca);
    tls->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return tls;
}

}  // namespace

int run_server(SimContext& ctx, const std::function<void(const std::string&)>& on_listening) {
  const auto endpoint = parse_listen(ctx.config.listen);
  if (!endpoint) {
    std::cerr << "nomad-sim: --listen: expected HOST:PORT, got " << ctx.config.listen << "\n";
    return 2;
  }
  std::unique_ptr<ssl::context> tls;
  try {
    if (!ctx.config.tls_cert.empty()) {
      tls = make_tls(ctx.config);
    }
  } catch (const std::exception& e) {
    std::cerr << "nomad-sim: tls: " << e.what() << "\n";
    return 2;
  }
  net::io_context ioc;
  tcp::acceptor acceptor(ioc);
  boost::system::error_code ec;
  acceptor.open(endpoint->protocol(), ec);
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  acceptor.bind(*endpoint, ec);
  if (!ec) {
    acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    std::cerr << "nomad-sim: listen " << ctx.config.listen << ": " << ec.message() << "\n";
    return 1;
  }
  const auto bound = acceptor.local_endpoint();
  on_listening(bound.address().to_string() + ":" + std::to_string(bound.port()));
  net::co_spawn(ioc, accept_loop(ioc, acceptor, ctx, tls.get()), log_exception);
  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { ioc.stop(); });
  std::thread second([&ioc] { ioc.run(); });
  ioc.run();
  second.join();
  return 0;
}

}  // namespace nbs::nomad_sim
