// The sockets one network is served on: UDP and a TCP listener on the same address and port,
// both bound to one device when one is named, so that the kernel hands them only what arrives
// on it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <string>

#include "common/error.h"
#include "common/ipv4.h"

namespace vx::agent::dns {

struct Sockets {
  boost::asio::ip::udp::socket udp;
  boost::asio::ip::tcp::acceptor tcp;
};

// Both sockets on `address`:`port`, bound to `device` unless it is empty (SO_BINDTODEVICE:
// CAP_NET_RAW). Port 0 picks a free port, the same for both. "dns_bind_failed" (unavailable)
// when either cannot be had.
Result<Sockets> bind_sockets(boost::asio::any_io_executor executor, Ipv4 address, uint16_t port,
                             const std::string& device);

}  // namespace vx::agent::dns
