#include "agent/dns/ldns_handles.h"

namespace vx::agent::dns {

PacketPtr parse_packet(std::span<const uint8_t> wire) {
  ldns_pkt* packet = nullptr;
  if (ldns_wire2pkt(&packet, wire.data(), wire.size()) != LDNS_STATUS_OK) {
    ldns_pkt_free(packet);
    return nullptr;
  }
  return PacketPtr(packet);
}

std::vector<uint8_t> to_wire(const ldns_pkt& packet) {
  uint8_t* bytes = nullptr;
  size_t size = 0;
  ldns_status status = ldns_pkt2wire(&bytes, &packet, &size);
  std::unique_ptr<uint8_t, LdnsFree> owned(bytes);
  if (status != LDNS_STATUS_OK || bytes == nullptr) return {};
  return std::vector<uint8_t>(bytes, bytes + size);
}

}  // namespace vx::agent::dns
