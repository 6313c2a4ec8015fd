// The host's own resolvers, which the name server forwards the names it does not know to.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace vx::agent::dns {

// The IPv4 "nameserver" lines of resolv.conf(5) text, in order, each on port 53. IPv6 servers,
// other options and malformed lines are skipped: the agent forwards over IPv4 only.
std::vector<boost::asio::ip::udp::endpoint> parse_resolv_conf(std::string_view text);

// The same of the file at `path`; none when it cannot be read. Loopback resolvers (a local cache
// such as systemd-resolved's 127.0.0.53) are kept: the agent, not the container, asks them.
std::vector<boost::asio::ip::udp::endpoint> host_resolvers(const std::string& path = "/etc/resolv.conf");

}  // namespace vx::agent::dns
