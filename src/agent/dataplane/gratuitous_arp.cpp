#include "agent/dataplane/gratuitous_arp.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/mac.h"
#include "common/unique_fd.h"

namespace vx::agent {

namespace {

using Mac = std::array<uint8_t, ETH_ALEN>;

#pragma pack(push, 1)
struct ArpFrame {
  ether_header ethernet;
  arphdr arp;
  uint8_t sender_mac[ETH_ALEN];
  uint8_t sender_ip[4];
  uint8_t target_mac[ETH_ALEN];
  uint8_t target_ip[4];
};
#pragma pack(pop)

Error failed(const std::string& doing) { return unavailable("arp_failed", doing + ": " + std::strerror(errno)); }

Result<Mac> mac_bytes(const std::string& text) {
  auto normal = parse_mac(text);
  if (!normal) return normal.error();
  // Six hex pairs, which parse_mac checked.
  Mac bytes{};
  for (int i = 0; i < ETH_ALEN; ++i) bytes[i] = static_cast<uint8_t>(std::stoi(normal->substr(3 * i, 2), nullptr, 16));
  return bytes;
}

ArpFrame announcement(const Mac& source, const Mac& sender, Ipv4 ip) {
  ArpFrame frame{};
  std::memset(frame.ethernet.ether_dhost, 0xff, ETH_ALEN);
  std::memcpy(frame.ethernet.ether_shost, source.data(), ETH_ALEN);
  frame.ethernet.ether_type = htons(ETHERTYPE_ARP);
  frame.arp.ar_hrd = htons(ARPHRD_ETHER);
  frame.arp.ar_pro = htons(ETHERTYPE_IP);
  frame.arp.ar_hln = ETH_ALEN;
  frame.arp.ar_pln = 4;
  frame.arp.ar_op = htons(ARPOP_REQUEST);
  std::memcpy(frame.sender_mac, sender.data(), ETH_ALEN);
  uint32_t network_order = htonl(ip.value());
  std::memcpy(frame.sender_ip, &network_order, 4);
  std::memcpy(frame.target_ip, &network_order, 4);
  return frame;
}

}  // namespace

Status send_gratuitous_arp(const std::string& device, Ipv4 ip, const std::string& mac) {
  auto sender = mac_bytes(mac);
  if (!sender) return sender.error();
  if (device.empty() || device.size() >= IFNAMSIZ) return bad_input("invalid_device", "'" + device + "' is no device name");
  UniqueFd socket(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP)));
  if (!socket) return failed("opening a packet socket");
  ifreq request{};
  std::memcpy(request.ifr_name, device.c_str(), device.size());
  if (::ioctl(socket.get(), SIOCGIFINDEX, &request) != 0) {
    if (errno == ENODEV) return not_found("unknown_device", "no device named '" + device + "'");
    return failed("looking up " + device);
  }
  int ifindex = request.ifr_ifindex;
  if (::ioctl(socket.get(), SIOCGIFHWADDR, &request) != 0) return failed("reading the MAC of " + device);
  Mac source{};
  std::memcpy(source.data(), request.ifr_hwaddr.sa_data, ETH_ALEN);
  ArpFrame frame = announcement(source, *sender, ip);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = ifindex;
  to.sll_halen = ETH_ALEN;
  std::memset(to.sll_addr, 0xff, ETH_ALEN);
  if (::sendto(socket.get(), &frame, sizeof frame, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
    return failed("sending on " + device);
  }
  return Ok{};
}

}  // namespace vx::agent
