// serve_tls: the Connection template over a TLS stream (handshake, serve, TLS shutdown).
#include "mcpd/http/http_connection_impl.hpp"

namespace nbs::mcpd {

asio::awaitable<void> serve_tls(tcp::socket socket, asio::ssl::context& tls,
                                std::shared_ptr<ConnectionControl> control, const HttpOptions& options,
                                HttpServices& services) {
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls);
  control->close = [&stream] {
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
  };
  try {
    beast::get_lowest_layer(stream).expires_after(options.header_timeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, k_tuple);
    if (!ec) {
      Connection<beast::ssl_stream<beast::tcp_stream>> connection(stream, *control, options, services);
      co_await connection.run();
      control->ticket.reset();
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
      co_await stream.async_shutdown(k_tuple);  // stream_truncated from the peer is normal
    }
  } catch (const std::exception& e) {
    spdlog::warn("https connection: {}", e.what());
  }
  control->close = {};
  control->ticket.reset();
}

}  // namespace nbs::mcpd
