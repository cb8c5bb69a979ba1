#include "mcpd/http/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "mcpd/http/host_origin.hpp"

namespace nbs::mcpd {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

HttpServer::HttpServer(asio::io_context& io, HttpOptions options, HttpServices services)
    : io_(io),
      options_(std::move(options)),
      services_(std::move(services)),
      strand_(asio::make_strand(io)),
      acceptor_(strand_),
      grace_timer_(strand_),
      limits_(ConnectionCaps{options_.max_connections, options_.max_connections_per_address,
                             options_.max_connections_per_principal, options_.reserve_connections}) {}

Status HttpServer::start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    return make_error(ErrorKind::invalid_argument, "listen: '" + options_.host + "' is not an IP address");
  }
  if (auto status = check_allow_lists(options_.allowed_hosts, options_.allowed_origins); !status) {
    return status;
  }
  if (!options_.tls_cert_file.empty()) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1);
    tls_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) {
      return make_error(ErrorKind::invalid_argument,
                        "tls_cert: " + options_.tls_cert_file + ": " + ec.message());
    }
    tls_->use_private_key_file(options_.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return make_error(ErrorKind::invalid_argument,
                        "tls_key: " + options_.tls_key_file + ": " + ec.message());
    }
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return make_error(ErrorKind::unavailable, "listen: cannot bind " + options_.host + ":" +
                                                  std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
  spdlog::info("nbs-mcpd listening on {}://{}:{}", tls_ ? "https" : "http", options_.host, port_);
  return {};
}

asio::awaitable<void> HttpServer::accept_loop() {
  for (;;) {
    auto [ec, socket] =
        co_await acceptor_.async_accept(asio::make_strand(io_), asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
      co_return;
    }
    if (ec) {
      spdlog::warn("accept: {}", ec.message());
      continue;
    }
    spawn_connection(std::move(socket));
  }
}

void HttpServer::spawn_connection(tcp::socket socket) {
  auto control = std::make_shared<ConnectionControl>();
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (!ec) {
    control->ticket = limits_.admit(peer.address());
  }
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !control->ticket) {
      if (!stopping_ && !ec) {
        services_.metrics
            .counter(
                "nbs_http_connections_refused_total",
                "Connections closed unanswered: the pool, the address's share and the reserve were taken.",
                {})
            .inc({});
      }
      socket.close(ec);
      return;
    }
    id = next_id_++;
    connections_[id] = Entry{control, socket.get_executor()};
  }
  auto executor = socket.get_executor();
  auto on_done = [this, id](const std::exception_ptr&) {
    std::lock_guard lock(mutex_);
    connections_.erase(id);
    if (stopping_ && connections_.empty()) {
      // The last connection is gone: no need to wait out the grace period.
      asio::post(strand_, [this] { grace_timer_.cancel(); });
    }
  };
  if (tls_) {
    asio::co_spawn(executor, serve_tls(std::move(socket), *tls_, control, options_, services_), on_done);
  } else {
    asio::co_spawn(executor, serve_plain(std::move(socket), control, options_, services_), on_done);
  }
}

void HttpServer::close_all(bool only_idle) {
  std::lock_guard lock(mutex_);
  for (auto& [id, entry] : connections_) {
    auto control = entry.control.lock();
    if (!control) {
      continue;
    }
    control->stopping = true;
    asio::post(entry.strand, [control, only_idle] {
      if (control->current_call) {
        control->current_call->cancel("shutdown");
      }
      if (control->close && (!only_idle || control->phase != ConnectionControl::Phase::busy)) {
        control->close();
      }
    });
  }
}

void HttpServer::stop() {
  asio::post(strand_, [this] {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        return;
      }
      stopping_ = true;
    }
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    // Idle connections close now; running calls are cancelled (a long-poll ends early) and their
    // responses are still written; whatever is left after the grace period is closed.
    close_all(true);
    bool none_left = false;
    {
      std::lock_guard lock(mutex_);
      none_left = connections_.empty();
    }
    if (none_left) {
      return;
    }
    grace_timer_.expires_after(options_.shutdown_grace);
    grace_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) {
        close_all(false);
      }
    });
  });
}

}  // namespace nbs::mcpd
