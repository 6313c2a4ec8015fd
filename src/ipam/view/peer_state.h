// Hosts and endpoints by key, as the changes leave them: what the view holds, and what a load
// replays the changes made during its scan onto. A put replaces the object of its key, a delete
// removes it.
#pragma once

#include <map>
#include <string>

#include "proto/peers.h"

namespace vx::ipam {

struct PeerState {
  PeerState() = default;
  explicit PeerState(proto::Snapshot snapshot);

  void apply(const proto::Change& change);
  proto::Snapshot snapshot(uint64_t revision) const;

  std::map<std::string, proto::Host> hosts;          // by host id
  std::map<std::string, proto::Endpoint> endpoints;  // by container name
};

}  // namespace vx::ipam
