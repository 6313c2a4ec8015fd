// Keeps this host in line with the registry, in the way flannel and Calico do: read the desired
// state from the IPAM, diff it against the kernel and Docker, apply the difference, repeat.
//  - Every sync: the VXLAN device's forwarding entries (fdb_plan.h).
//  - Every few syncs, housekeeping: local containers (and this host's gateway) the registry lacks
//    are reserved again at their exact addresses (a Redis that lost its last second of writes, or
//    all of them), so that the IPAM never hands out an address in use; MACs the registry lacks are
//    recorded (a create that crashed before recording them); and addresses the registry holds for
//    this host with no container behind them for longer than a grace period are released (a
//    create that crashed after reserving), so that no address leaks for good. Names with a create
//    or remove in flight are left alone. One failure is logged and the pass goes on.
// Every sync first checks that the VXLAN device is up on its bridge, and has the host set up again
// when it is not. When the IPAM does not answer, the kernel keeps what it has: a registry outage never tears
// down the data plane. Each pass is idempotent, so a restarted agent converges to the same state.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "agent/dataplane.h"
#include "agent/identity.h"
#include "agent/ipam_client.h"
#include "agent/runtime.h"

namespace vx {

struct ReconcilerOptions {
  std::chrono::milliseconds interval{500};
  int housekeeping_every = 10;  // syncs between housekeeping passes
  // How long a reserved address may lack its container: longer than any create takes, with its
  // Docker deadlines, so that a slow create is never mistaken for a crashed one.
  std::chrono::seconds orphan_grace{120};
  std::function<bool(const std::string&)> busy;  // names with a create or remove in flight
  // Sets the host up again (host_setup.h) when the VXLAN device is missing, down or off its
  // bridge: deleted by hand, or the bridge recreated by Docker.
  std::function<boost::asio::awaitable<Status>()> repair;
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

  // The gateway address set-up reserved, to reserve again if the registry loses it.
  void set_gateway(std::string ip) { gateway_ip_ = std::move(ip); }
  const SyncState& state() const { return state_; }

 private:
  boost::asio::awaitable<void> restore(const std::string& name, const std::string& ip, const std::string& mac,
                                       const std::map<std::string, Endpoint>& registered);
  boost::asio::awaitable<void> release_orphans(const std::map<std::string, Endpoint>& registered,
                                               const std::set<std::string>& present);

  const AgentIdentity& self_;
  IpamClient& ipam_;
  Dataplane& dataplane_;
  Runtime& runtime_;
  ReconcilerOptions options_;
  SyncState state_;
  std::string gateway_ip_;
  std::map<std::string, std::chrono::steady_clock::time_point> orphan_since_;
};

}  // namespace vx
