// serve_plain: the Connection template over a plain TCP stream.
#include "mcpd/http/http_connection_impl.hpp"

namespace nbs::mcpd {

asio::awaitable<void> serve_plain(tcp::socket socket, std::shared_ptr<ConnectionControl> control,
                                  const HttpOptions& options, HttpServices& services) {
  beast::tcp_stream stream(std::move(socket));
  control->close = [&stream] {
    boost::system::error_code ignored;
    stream.socket().close(ignored);
  };
  try {
    Connection<beast::tcp_stream> connection(stream, *control, options, services);
    co_await connection.run();
  } catch (const std::exception& e) {
    spdlog::warn("http connection: {}", e.what());
  }
  control->close = {};
  control->ticket.reset();  // before the client can see the close and connect again
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace nbs::mcpd
