// The ICMP echo codec the prober sends and reads with: RFC 1071's checksum example, a request that
// checks out, and a reply found in a whole IPv4 packet (header options too) while requests, other
// protocols, corrupt and cut-short packets are not taken for one.
#include <gtest/gtest.h>

#include "agent/probe/icmp_echo.h"

namespace vx::agent {
namespace {

// An IPv4 packet from `source` carrying `payload`, with `options` bytes of header options.
std::vector<uint8_t> ip_packet(uint32_t source, std::vector<uint8_t> payload, uint8_t protocol = 1,
                               size_t options = 0) {
  size_t header = 20 + options;
  size_t total = header + payload.size();
  std::vector<uint8_t> packet(header, 0);
  packet[0] = static_cast<uint8_t>(0x40 | header / 4);
  packet[2] = static_cast<uint8_t>(total >> 8);
  packet[3] = static_cast<uint8_t>(total);
  packet[8] = 64;
  packet[9] = protocol;
  for (int i = 0; i < 4; ++i) packet[12 + i] = static_cast<uint8_t>(source >> (24 - 8 * i));
  packet.insert(packet.end(), payload.begin(), payload.end());
  return packet;
}

// What a host answers to `request`: the same message as a reply, checksum redone.
std::vector<uint8_t> reply_to(std::vector<uint8_t> request) {
  request[0] = 0;
  request[2] = request[3] = 0;
  uint16_t sum = internet_checksum(request);
  request[2] = static_cast<uint8_t>(sum >> 8);
  request[3] = static_cast<uint8_t>(sum);
  return request;
}

constexpr uint32_t kFrom = 0xac140003;  // 172.20.0.3

TEST(IcmpEcho, ChecksumOfRfc1071Example) {
  std::vector<uint8_t> bytes{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internet_checksum(bytes), 0x220d);
  std::vector<uint8_t> odd{0x01};
  EXPECT_EQ(internet_checksum(odd), 0xfeff);
}

TEST(IcmpEcho, RequestCarriesIdentifierSequenceAndAValidChecksum) {
  auto request = echo_request(0x1234, 7);
  ASSERT_EQ(request.size(), 64u);
  EXPECT_EQ(request[0], 8);
  EXPECT_EQ(request[1], 0);
  EXPECT_EQ(request[4], 0x12);
  EXPECT_EQ(request[5], 0x34);
  EXPECT_EQ(request[6], 0);
  EXPECT_EQ(request[7], 7);
  EXPECT_EQ(internet_checksum(request), 0);
}

TEST(IcmpEcho, ReplyIsFoundInTheIpPacket) {
  auto reply = parse_echo_reply(ip_packet(kFrom, reply_to(echo_request(0xbeef, 3))));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->source, Ipv4(kFrom));
  EXPECT_EQ(reply->identifier, 0xbeef);
  EXPECT_EQ(reply->sequence, 3);

  auto with_options = parse_echo_reply(ip_packet(kFrom, reply_to(echo_request(1, 2)), 1, 8));
  ASSERT_TRUE(with_options);
  EXPECT_EQ(with_options->sequence, 2);
}

TEST(IcmpEcho, AnythingElseIsNoReply) {
  EXPECT_FALSE(parse_echo_reply(ip_packet(kFrom, echo_request(1, 1)))) << "a request";
  EXPECT_FALSE(parse_echo_reply(ip_packet(kFrom, reply_to(echo_request(1, 1)), 17))) << "UDP";
  auto corrupt = ip_packet(kFrom, reply_to(echo_request(1, 1)));
  corrupt.back() ^= 0xff;
  EXPECT_FALSE(parse_echo_reply(corrupt)) << "bad checksum";
  auto cut = ip_packet(kFrom, reply_to(echo_request(1, 1)));
  cut.resize(cut.size() - 10);
  EXPECT_FALSE(parse_echo_reply(cut)) << "shorter than its total length";
  EXPECT_FALSE(parse_echo_reply(std::vector<uint8_t>(12, 0x45))) << "shorter than an IP header";
  std::vector<uint8_t> no_packet;
  EXPECT_FALSE(parse_echo_reply(no_packet));
}

}  // namespace
}  // namespace vx::agent
