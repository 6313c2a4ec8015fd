// The agent's copy of what the IPAM says every data plane should hold: the hosts and endpoints of
// the peer feed (proto/peers.h), and the forwarding entries they call for on this host.
//
// The rules, as flannel's: this host's VXLAN device holds a flood entry (00:00:00:00:00:00) per
// other live host, so that broadcast and ARP reach every peer, and an entry per endpoint on another
// registered host pointing the endpoint's MAC at that host's underlay address, so that unicast goes
// to that host alone. MAC entries follow registration, not liveness: a host whose heartbeats are
// late (a busy machine, an IPAM restart) must not have its unicast flooded to every other host, and
// traffic to a host that is really gone is lost either way. Endpoints on this host, on hosts that
// left, or without a MAC get no entry; nor does a host whose underlay address does not parse.
//
// apply() answers, for one change, exactly the entries that change: the kernel is kept in step
// with a few netlink calls per change instead of a diff of everything. Entries are counted by how
// many hosts and endpoints call for them, so that one that two call for (a host that registered
// again at an address a quiet one still holds) stays until neither does.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/dataplane.h"
#include "agent/fdb_plan.h"
#include "proto/peers.h"

namespace vx::agent {

class PeerModel {
 public:
  explicit PeerModel(std::string self) : self_(std::move(self)) {}

  void replace(const proto::Snapshot& snapshot);
  FdbPlan apply(const proto::Change& change);

  // Every entry this host's device should hold, sorted, without duplicates.
  std::vector<FdbEntry> desired() const;
  size_t hosts() const { return hosts_.size(); }

 private:
  std::vector<FdbEntry> entries_of_host(const std::string& host_id) const;
  std::vector<FdbEntry> entries_of_endpoint(const std::string& name) const;
  std::vector<FdbEntry> affected_by(const proto::Change& change) const;
  void erase_endpoint(const std::string& name);

  std::string self_;
  std::map<FdbEntry, int> wanted_;  // every desired entry, with how many call for it
  std::map<std::string, proto::Host> hosts_;
  std::map<std::string, proto::Endpoint> endpoints_;
  std::map<std::string, std::set<std::string>> names_by_host_;
};

}  // namespace vx::agent
