// The agent's copy of what the IPAM says every data plane should hold: the hosts and endpoints of
// the peer feed (proto/peers.h), and the forwarding entries they call for on this host, network by
// network (each network has its own VXLAN device).
//
// The rules, as flannel's and Docker's overlay: a network's device holds a flood entry
// (00:00:00:00:00:00) per other live host that takes part in the network, so that broadcast and
// ARP reach those peers only, and an entry per endpoint of the network on another registered host
// pointing the endpoint's MAC at that host's underlay address, so that unicast goes to that host
// alone. Every host takes part in the default network (the seed's rule); a host takes part in
// another once it runs a container on it (its gateway reservation does not count). MAC entries
// follow registration, not liveness: a host whose heartbeats are late (a busy machine, an IPAM
// restart) must not have its unicast flooded to every other host, and traffic to a host that is
// really gone is lost either way. Endpoints on this host, on hosts that left, or without a MAC get
// no entry; nor does a host whose underlay address does not parse. Each endpoint with a MAC on
// another host also gets a neighbour entry (its address to its MAC) on its network's device, which
// answers ARP for it on this host (the device's proxy mode): no ARP for a known container crosses
// the underlay.
//
// apply() answers, for one change, exactly the entries that change: the kernel is kept in step
// with a few netlink calls per change instead of a diff of everything. Entries are counted by how
// many hosts call for them, so that one that two call for (a host that registered again at an
// address a quiet one still holds) stays until neither does.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/dataplane.h"
#include "agent/fdb_plan.h"
#include "proto/peers.h"

namespace vx::agent {

// The plans of one change, by network.
using NetworkPlans = std::map<std::string, DevicePlan>;

class PeerModel {
 public:
  explicit PeerModel(std::string self) : self_(std::move(self)) {}

  void replace(const proto::Snapshot& snapshot);
  NetworkPlans apply(const proto::Change& change);

  // Every entry the network's device on this host should hold, sorted, without duplicates.
  std::vector<FdbEntry> desired(const std::string& network) const;
  std::vector<NeighbourEntry> desired_neighbours(const std::string& network) const;
  size_t hosts() const { return hosts_.size(); }
  // The other hosts, alive (`alive`) or quiet.
  size_t peers(bool alive, const std::string& self) const {
    size_t count = 0;
    for (const auto& [id, host] : hosts_) count += id != self && host.alive == alive;
    return count;
  }
  // Every endpoint the feed holds, by name, on every host and network: what names resolve to.
  const std::map<std::string, proto::Endpoint>& endpoints() const { return endpoints_; }

 private:
  template <class Entry>
  struct OnNetwork {
    std::string network;
    Entry entry;
    auto operator<=>(const OnNetwork&) const = default;
  };
  template <class Entry>
  using Wanted = std::map<OnNetwork<Entry>, int>;  // every desired entry, with how many hosts call for it
  struct HostEntries {
    std::vector<OnNetwork<FdbEntry>> fdb;
    std::vector<OnNetwork<NeighbourEntry>> neighbours;
  };

  HostEntries entries_of_host(const std::string& host_id) const;
  // The hosts whose entries a change can touch: the host itself, or an endpoint's host before and
  // after.
  std::set<std::string> hosts_touched_by(const proto::Change& change) const;
  HostEntries entries_of_hosts(const std::set<std::string>& hosts) const;
  void erase_endpoint(const std::string& name);
  // Counts the entries `before` and `after` a change call for into `wanted`; those that start or
  // stop being wanted go into their network's plan.
  template <class Entry>
  static void count(Wanted<Entry>& wanted, const std::vector<OnNetwork<Entry>>& before,
                    const std::vector<OnNetwork<Entry>>& after, NetworkPlans& plans,
                    Plan<Entry> DevicePlan::*plan);
  template <class Entry>
  static std::vector<Entry> of_network(const Wanted<Entry>& wanted, const std::string& network);

  std::string self_;
  Wanted<FdbEntry> wanted_fdb_;
  Wanted<NeighbourEntry> wanted_neighbours_;
  std::map<std::string, proto::Host> hosts_;
  std::map<std::string, proto::Endpoint> endpoints_;
  std::map<std::string, std::set<std::string>> names_by_host_;
};

}  // namespace vx::agent
