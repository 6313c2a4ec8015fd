// What a host's VXLAN device should hold, and the changes that take it there. Pure functions, so
// that the reconciler's decisions can be tested without a kernel.
//
// The device of host `self` holds a flood entry (00:00:00:00:00:00) per other live host, so that
// broadcast and ARP reach every peer, and an entry per endpoint on another registered host
// pointing the endpoint's MAC at that host's underlay address, so that unicast goes to that host
// alone. MAC entries follow registration, not liveness: a host whose heartbeats are late (a busy
// machine, an IPAM restart) must not have its unicast traffic flooded to every other host, and
// traffic to a host that is really gone is lost either way. Endpoints on this host, on hosts that
// left, or without a MAC get no entry.
#pragma once

#include <string>
#include <vector>

#include "agent/dataplane.h"
#include "agent/ipam_client.h"

namespace vx {

std::vector<FdbEntry> desired_fdb(const Peers& peers, const std::string& self);

struct FdbPlan {
  std::vector<FdbEntry> remove;  // apply first: a MAC that moved is replaced, not doubled
  std::vector<FdbEntry> add;
  bool empty() const { return remove.empty() && add.empty(); }
};

FdbPlan plan_fdb(std::vector<FdbEntry> desired, std::vector<FdbEntry> current);

}  // namespace vx
