// Who a per-client limit (connections, legacy sessions) counts against: the principal when tokens are
// in use, else the address, with IPv6 addresses grouped by their /64 (one host usually holds a whole
// /64, so a cap per IPv6 address would cap nothing).
#pragma once

#include <string>
#include <string_view>

#include <boost/asio/ip/address.hpp>

namespace nbs::mcpd {

// "10.0.0.1" for IPv4 (and IPv4-mapped IPv6), "2001:db8:1:2::/64" for IPv6.
std::string address_key(const boost::asio::ip::address& address);

// The same from the text form of an address; text that is not an address is returned as it is.
std::string address_key(std::string_view address);

// "principal <name>" when `principal` is not empty, else "address <address_key(peer)>".
std::string client_key(std::string_view principal, std::string_view peer);

}  // namespace nbs::mcpd
