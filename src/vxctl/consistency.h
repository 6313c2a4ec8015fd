// What `vxctl check` finds, in the way of calicoctl's ipam check: every disagreement between the
// registry, Docker on each host and each host's kernel. A pure function of what the IPAM and the
// agents answered, so that it is tested apart from them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "proto/agent.h"
#include "proto/ipam.h"

namespace vx::ctl {

// What one host's agent reported: its managed containers (Docker) and the default network's VXLAN
// forwarding entries (the kernel). Other networks' devices are not compared yet.
struct HostFacts {
  std::vector<proto::Container> containers;
  std::vector<proto::ForwardingEntry> fdb;
};

struct Disagreement {
  std::string host_id;  // "" for one of the registry alone
  // "address_twice" | "unregistered_container" | "wrong_address" | "wrong_host" |
  // "orphan_address" | "missing_entry" | "stray_entry"
  std::string kind;
  std::string detail;
};

// Hosts absent from `facts` (their agent did not answer) are not compared. The entries a host
// should hold on the default network: a flood entry towards every other live host, and an entry
// for the MAC of every container of that network on another registered host, towards that host's
// underlay address.
std::vector<Disagreement> find_disagreements(const std::vector<proto::HostStatus>& hosts,
                                             const std::vector<proto::Endpoint>& registry,
                                             const std::map<std::string, HostFacts>& facts);

}  // namespace vx::ctl
