#include "agent/dns/sockets.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace vx::agent::dns {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

// A free UDP port may be taken for TCP: that many tries at a pair.
constexpr int kFreePortAttempts = 8;

Error bind_failed(const char* protocol, Ipv4 address, uint16_t port, const std::string& device,
                  const std::string& why) {
  std::string where = address.to_string() + ":" + std::to_string(port) + " (" + protocol + ")";
  if (!device.empty()) where += " on " + device;
  return unavailable("dns_bind_failed", "cannot serve DNS on " + where + ": " + why);
}

boost::system::error_code bind_to_device(int fd, const std::string& device) {
  if (device.empty()) return {};
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.data(), static_cast<socklen_t>(device.size())) == 0) {
    return {};
  }
  return {errno, boost::system::system_category()};
}

Result<udp::socket> udp_socket(asio::any_io_executor executor, Ipv4 address, uint16_t port,
                               const std::string& device) {
  udp::socket socket(executor);
  boost::system::error_code ec;
  socket.open(udp::v4(), ec);
  if (!ec) ec = bind_to_device(socket.native_handle(), device);
  if (!ec) socket.bind(udp::endpoint(asio::ip::address_v4(address.value()), port), ec);
  if (ec) return bind_failed("UDP", address, port, device, ec.message());
  return socket;
}

Result<tcp::acceptor> tcp_acceptor(asio::any_io_executor executor, Ipv4 address, uint16_t port,
                                   const std::string& device) {
  tcp::acceptor acceptor(executor);
  boost::system::error_code ec;
  acceptor.open(tcp::v4(), ec);
  // An agent restarted while its last connections linger in TIME_WAIT can listen again at once.
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) ec = bind_to_device(acceptor.native_handle(), device);
  if (!ec) acceptor.bind(tcp::endpoint(asio::ip::address_v4(address.value()), port), ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return bind_failed("TCP", address, port, device, ec.message());
  return acceptor;
}

}  // namespace

Result<Sockets> bind_sockets(asio::any_io_executor executor, Ipv4 address, uint16_t port,
                             const std::string& device) {
  for (int attempt = 1;; ++attempt) {
    auto udp = udp_socket(executor, address, port, device);
    if (!udp) return udp.error();
    boost::system::error_code ec;
    uint16_t bound = udp->local_endpoint(ec).port();
    if (ec) return bind_failed("UDP", address, port, device, ec.message());
    auto tcp = tcp_acceptor(executor, address, bound, device);
    if (tcp) return Sockets{std::move(*udp), std::move(*tcp)};
    if (port != 0 || attempt == kFreePortAttempts) return tcp.error();
  }
}

}  // namespace vx::agent::dns
