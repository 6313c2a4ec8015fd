#include "agent/probe/icmp_echo.h"

namespace vx::agent {

namespace {

constexpr uint8_t kEchoReply = 0;
constexpr uint8_t kEchoRequest = 8;
constexpr uint8_t kProtocolIcmp = 1;
constexpr size_t kIcmpHeader = 8;
constexpr size_t kPayload = 56;

uint16_t read16(std::span<const uint8_t> bytes, size_t at) {
  return static_cast<uint16_t>(bytes[at] << 8 | bytes[at + 1]);
}

void write16(std::vector<uint8_t>& bytes, size_t at, uint16_t value) {
  bytes[at] = static_cast<uint8_t>(value >> 8);
  bytes[at + 1] = static_cast<uint8_t>(value);
}

}  // namespace

uint16_t internet_checksum(std::span<const uint8_t> bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) sum += read16(bytes, i);
  if (bytes.size() % 2 != 0) sum += static_cast<uint32_t>(bytes.back()) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::vector<uint8_t> echo_request(uint16_t identifier, uint16_t sequence) {
  std::vector<uint8_t> message(kIcmpHeader + kPayload);
  message[0] = kEchoRequest;
  write16(message, 4, identifier);
  write16(message, 6, sequence);
  for (size_t i = 0; i < kPayload; ++i) message[kIcmpHeader + i] = static_cast<uint8_t>(i);
  write16(message, 2, internet_checksum(message));
  return message;
}

std::optional<EchoReply> parse_echo_reply(std::span<const uint8_t> packet) {
  if (packet.size() < 20 || packet[0] >> 4 != 4 || packet[9] != kProtocolIcmp) return std::nullopt;
  size_t header = (packet[0] & 0x0f) * size_t{4};
  size_t total = read16(packet, 2);
  if (header < 20 || total < header + kIcmpHeader || total > packet.size()) return std::nullopt;
  std::span<const uint8_t> icmp = packet.subspan(header, total - header);
  if (icmp[0] != kEchoReply || icmp[1] != 0 || internet_checksum(icmp) != 0) return std::nullopt;
  uint32_t source = uint32_t{read16(packet, 12)} << 16 | read16(packet, 14);
  return EchoReply{Ipv4(source), read16(icmp, 4), read16(icmp, 6)};
}

}  // namespace vx::agent
