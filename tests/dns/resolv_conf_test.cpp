// The host's resolvers: IPv4 "nameserver" lines in order, on port 53, nothing else.
#include "agent/dns/resolv_conf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace vx::agent::dns {
namespace {

std::vector<std::string> printed(const std::vector<boost::asio::ip::udp::endpoint>& endpoints) {
  std::vector<std::string> out;
  for (const auto& endpoint : endpoints) out.push_back(endpoint.address().to_string() + ":" + std::to_string(endpoint.port()));
  return out;
}

TEST(ResolvConf, TakesIpv4NameserversInOrder) {
  auto resolvers = parse_resolv_conf(
      "# generated\n"
      "search example.com\n"
      "nameserver 10.0.0.2\n"
      "nameserver 2001:db8::1\n"
      "  nameserver\t127.0.0.53   # a local cache\n"
      "; nameserver 9.9.9.9\n"
      "nameserver 1.2.3\n"
      "nameserver\n"
      "nameservers 8.8.8.8\n"
      "options edns0 trust-ad\n"
      "nameserver 1.1.1.1");
  EXPECT_EQ(printed(resolvers), (std::vector<std::string>{"10.0.0.2:53", "127.0.0.53:53", "1.1.1.1:53"}));
}

TEST(ResolvConf, ReadsTheFileAndAMissingOneIsNone) {
  char path[] = "/tmp/vx-resolv-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::ofstream(path) << "nameserver 192.0.2.53\n";
  EXPECT_EQ(printed(host_resolvers(path)), std::vector<std::string>{"192.0.2.53:53"});
  std::remove(path);
  EXPECT_TRUE(host_resolvers(path).empty());
}

}  // namespace
}  // namespace vx::agent::dns
