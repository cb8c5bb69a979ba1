#include "mcpd/mcp/client_key.hpp"

#include <boost/asio/ip/network_v6.hpp>

namespace nbs::mcpd {
namespace asio = boost::asio;

std::string address_key(const asio::ip::address& address) {
  if (address.is_v4()) {
    return address.to_v4().to_string();
  }
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  }
  return asio::ip::make_network_v6(v6, 64).canonical().to_string();
}

std::string address_key(std::string_view address) {
  boost::system::error_code ec;
  auto parsed = asio::ip::make_address(std::string(address), ec);
  return ec ? std::string(address) : address_key(parsed);
}

std::string client_key(std::string_view principal, std::string_view peer) {
  if (!principal.empty()) {
    return "principal " + std::string(principal);
  }
  return "address " + address_key(peer);
}

}  // namespace nbs::mcpd
