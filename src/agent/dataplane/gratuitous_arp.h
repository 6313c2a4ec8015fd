// A gratuitous ARP (RFC 5227's announcement: an ARP request whose sender and target address are
// both the address announced) sent on one device through a packet socket: what tells the hosts on
// a link that an address moved to another MAC. Linux updates an existing ARP cache entry from it
// at once, whatever its state, and creates none (arp_accept=0), so it corrects caches and
// pollutes none. The frame's source is the device's own MAC, so that a bridge learns nothing from
// it. Needs CAP_NET_RAW. kNotFound "unknown_device" for a device that does not exist.
#pragma once

#include <string>

#include "common/error.h"
#include "common/ipv4.h"

namespace vx::agent {

Status send_gratuitous_arp(const std::string& device, Ipv4 ip, const std::string& mac);

}  // namespace vx::agent
