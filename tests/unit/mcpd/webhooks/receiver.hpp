// A webhook receiver for tests: a Boost.Beast HTTP/1.1 server on 127.0.0.1 (an ephemeral port) that
// records every request and answers as a test script says, including never answering at all.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace nbs::test {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;
  std::chrono::steady_clock::time_point at;

  // Every value of `name` (case-insensitive).
  std::vector<std::string> all(std::string_view name) const;
  // The only value of `name`, or "" when absent; "<N values>" when repeated.
  std::string header(std::string_view name) const;
};

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = "ok";
  bool hang = false;     // read the request, never answer (until the receiver stops)
  bool trickle = false;  // answer 200 with a 1000-byte body, one byte every 50 ms
};

class Receiver {
 public:
  // `script` picks the reply to the n-th request (from 1); by default every request gets 200.
  using Script = std::function<Reply(const ReceivedRequest&, std::size_t n)>;
  explicit Receiver(Script script = {});
  ~Receiver();

  unsigned short port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;

  std::vector<ReceivedRequest> requests() const;
  std::size_t connections() const;
  // True once `n` requests have arrived, false after `timeout`.
  bool wait_for(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> trickle(boost::asio::ip::tcp::socket& socket);

  Script script_;
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  unsigned short port_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<ReceivedRequest> requests_;
  std::size_t connections_ = 0;
  std::thread thread_;
};

// A TCP port on 127.0.0.1 where nothing listens (bound, then released).
unsigned short closed_port();

}  // namespace nbs::test
