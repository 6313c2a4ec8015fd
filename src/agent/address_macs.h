// The MAC each address of each network was last heard at, from the IPAM's feed: what the ARP
// caches of this host's containers may hold for it. An announcement (Dataplane::announce) is worth
// sending only when an address moves to another MAC; the same MAC heard again (a rename, a record
// sent again, an address handed back at the same MAC, as where Docker derives the MAC from the
// address) is noise on every bridge of every host. Entries outlive their endpoints, as cache
// entries do; the networks' subnets bound them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "common/ipv4.h"

namespace vx::agent {

class AddressMacs {
 public:
  // Records `mac` for the address and answers the MAC recorded before, if any.
  std::optional<std::string> record(const std::string& network, Ipv4 ip, const std::string& mac) {
    auto [it, added] = macs_.try_emplace({network, ip}, mac);
    if (added) return std::nullopt;
    return std::exchange(it->second, mac);
  }

 private:
  std::map<std::pair<std::string, Ipv4>, std::string> macs_;
};

}  // namespace vx::agent
