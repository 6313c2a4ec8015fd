// Keeps this host in line with the registry, in the way flannel and Calico do: read the desired
// state from the IPAM, diff it against the kernel and Docker, apply the difference, repeat.
//  - Every sync: the VXLAN device's forwarding entries (fdb_plan.h).
//  - Every few syncs: MACs of local containers the registry lacks are recorded (a create that
//    crashed before recording them), and addresses the registry holds for this host with no
//    container behind them for longer than a grace period are released (a create that crashed
//    after reserving), so that no address leaks for good.
// When the IPAM does not answer, the kernel keeps what it has: a registry outage never tears
// down the data plane. Each pass is idempotent, so a restarted agent converges to the same state.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <string>

#include "agent/dataplane.h"
#include "agent/identity.h"
#include "agent/ipam_client.h"
#include "agent/runtime.h"

namespace vx {

struct ReconcilerOptions {
  std::chrono::milliseconds interval{500};
  int housekeeping_every = 10;               // syncs between housekeeping passes
  std::chrono::seconds orphan_grace{30};     // how long a reserved address may lack its container
};

struct SyncState {
  bool synced = false;          // at least one sync applied
  size_t peers = 0;             // flood entries programmed
  size_t remote_endpoints = 0;  // MAC entries programmed
  std::string last_error;       // empty after a good sync
};

class Reconciler {
 public:
  Reconciler(const AgentIdentity& self, IpamClient& ipam, Dataplane& dataplane, Runtime& runtime,
             ReconcilerOptions options);

  // Syncs every interval until the io_context stops.
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<Status> sync_fdb();
  boost::asio::awaitable<Status> housekeeping();

  const SyncState& state() const { return state_; }

 private:
  const AgentIdentity& self_;
  IpamClient& ipam_;
  Dataplane& dataplane_;
  Runtime& runtime_;
  ReconcilerOptions options_;
  SyncState state_;
  std::map<std::string, std::chrono::steady_clock::time_point> orphan_since_;
};

}  // namespace vx
