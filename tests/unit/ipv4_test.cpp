#include <gtest/gtest.h>

#include "common/host_port.h"
#include "common/ipv4.h"

namespace vx {
namespace {

TEST(Ipv4, ParsesAndPrints) {
  auto ip = Ipv4::parse("172.20.3.4");
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->value(), 0xAC140304u);
  EXPECT_EQ(ip->to_string(), "172.20.3.4");
  EXPECT_EQ(Ipv4::parse("0.0.0.0")->value(), 0u);
  EXPECT_EQ(Ipv4::parse("255.255.255.255")->value(), 0xFFFFFFFFu);
}

TEST(Ipv4, RejectsAnythingElse) {
  for (const char* text : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d",
                           "1.2.3.4 ", " 1.2.3.4", "1..3.4", "1.2.3.", "1.2.3.4/24"}) {
    auto ip = Ipv4::parse(text);
    ASSERT_FALSE(ip) << text;
    EXPECT_EQ(ip.error().code, "invalid_ip");
    EXPECT_EQ(ip.error().kind, ErrorKind::kBadInput);
  }
}

TEST(Cidr, ParsesBoundsAndMembership) {
  auto cidr = Cidr::parse("172.20.0.0/16");
  ASSERT_TRUE(cidr);
  EXPECT_EQ(cidr->network().to_string(), "172.20.0.0");
  EXPECT_EQ(cidr->broadcast().to_string(), "172.20.255.255");
  EXPECT_EQ(cidr->size(), 65536u);
  EXPECT_TRUE(cidr->contains(*Ipv4::parse("172.20.255.1")));
  EXPECT_FALSE(cidr->contains(*Ipv4::parse("172.21.0.1")));
  EXPECT_EQ(cidr->to_string(), "172.20.0.0/16");
  EXPECT_EQ(Cidr::parse("0.0.0.0/0")->size(), uint64_t{1} << 32);
  EXPECT_EQ(Cidr::parse("10.0.0.7/32")->broadcast().to_string(), "10.0.0.7");
}

TEST(Cidr, RejectsHostBitsAndBadPrefixes) {
  auto host_bits = Cidr::parse("172.20.0.1/16");
  ASSERT_FALSE(host_bits);
  EXPECT_NE(host_bits.error().detail.find("172.20.0.0/16"), std::string::npos);
  for (const char* text : {"172.20.0.0", "172.20.0.0/33", "172.20.0.0/-1", "172.20.0.0/", "x/16",
                           "172.20.0.0/16/2", "172.20.0.0/1a", "172.20.0.0/016", "172.20.0.0/-0",
                           "172.20.0.0/+8", "172.20.0.0/ 8"}) {
    EXPECT_FALSE(Cidr::parse(text)) << text;
  }
}

TEST(ListenAddress, ParsesAddressAndPort) {
  auto listen = parse_listen_address("0.0.0.0:8000");
  ASSERT_TRUE(listen);
  EXPECT_EQ(listen->host, "0.0.0.0");
  EXPECT_EQ(listen->port, 8000);
  EXPECT_EQ(parse_listen_address("127.0.0.1:0")->port, 0);
  for (const char* text : {"8000", "localhost:8000", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:80x"}) {
    EXPECT_FALSE(parse_listen_address(text)) << text;
  }
}

}  // namespace
}  // namespace vx
