#include "agent/dns/resolv_conf.h"

#include <fstream>
#include <sstream>

#include "common/ipv4.h"

namespace vx::agent::dns {

namespace {

constexpr uint16_t kDnsPort = 53;

}  // namespace

std::vector<boost::asio::ip::udp::endpoint> parse_resolv_conf(std::string_view text) {
  std::vector<boost::asio::ip::udp::endpoint> resolvers;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string keyword, address;
    if (!(words >> keyword >> address) || keyword != "nameserver") continue;
    auto ip = Ipv4::parse(address);
    if (!ip) continue;
    resolvers.emplace_back(boost::asio::ip::address_v4(ip->value()), kDnsPort);
  }
  return resolvers;
}

std::vector<boost::asio::ip::udp::endpoint> host_resolvers(const std::string& path) {
  std::ifstream file(path);
  if (!file) return {};
  std::ostringstream text;
  text << file.rdbuf();
  return parse_resolv_conf(text.str());
}

}  // namespace vx::agent::dns
