// ICMP echo messages (RFC 792) as bytes, for an IPv4 raw socket: a request is the ICMP message
// alone (the kernel adds the IP header), while what such a socket reads is the whole IP packet,
// header first. Replies are matched by identifier and sequence number, since a raw socket sees
// every echo reply that reaches its address, other programs' too.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/ipv4.h"

namespace vx::agent {

// The Internet checksum (RFC 1071) of `bytes`; over a message that holds its own, it is 0.
uint16_t internet_checksum(std::span<const uint8_t> bytes);

// An echo request with a 56-byte payload, as ping sends.
std::vector<uint8_t> echo_request(uint16_t identifier, uint16_t sequence);

struct EchoReply {
  Ipv4 source;
  uint16_t identifier = 0;
  uint16_t sequence = 0;
};

// The echo reply that `packet` (an IPv4 packet as read from a raw socket) carries; nothing when
// it carries anything else, is cut short or fails its checksum.
std::optional<EchoReply> parse_echo_reply(std::span<const uint8_t> packet);

}  // namespace vx::agent
