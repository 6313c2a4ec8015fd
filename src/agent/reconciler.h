// Keeps this host in line with the registry, as flannel and Calico do, but on a watch instead of a
// poll: follow the IPAM's peer feed (list, then watch from the revision) and apply each change to
// the kernel as it comes; diff everything only at start, when the IPAM resets the watch, and on a
// slow timer as a safety net.
//  - follow(): a snapshot, then long-polls of the changes after its revision (PeerModel turns each
//    into the few forwarding entries it touches). A reset replaces the model and diffs the kernel
//    against it. Every resync interval (with jitter, so that a thousand agents do not line up) the
//    kernel is diffed against the model again, and every tenth time against a fresh snapshot.
// Each network this host carries (host_networks.h) has its own VXLAN device and entries; a network
// set up later gets its entries as soon as it is. An address the feed moves to another MAC is
// announced on its network's bridge (address_macs.h), so that ARP caches here need not expire first.
//  - keep_host(): every interval, checks that each network's VXLAN device is up on its bridge (and
//    has the network set up again, then reprograms it, when not); every few of those, housekeeping:
//    the networks of local containers are set up (after a restart), local containers (and this
//    host's gateways) that the registry lacks are reserved again at their exact addresses
//    (a Redis that lost its last second of writes, or all of them), so that the IPAM never hands out
//    an address in use; MACs the registry lacks are recorded (a create that crashed before recording
//    them); and addresses the registry holds for this host with no container behind them for longer
//    than a grace period are released (a create that crashed after reserving), so that no address
//    leaks for good; a managed container created but never started (a create that crashed in
//    between) is started, or removed and its name released. Each name is claimed (name_claims.h)
//    across what the pass does with it, and one another operation holds is left to the next pass.
//    One failure is logged and the pass goes on.
// When the IPAM does not answer, the kernel keeps what it has: a registry outage never tears down
// the data plane. Each pass is idempotent, so a restarted agent converges to the same state.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/address_macs.h"
#include "agent/dataplane.h"
#include "agent/host_networks.h"
#include "agent/identity.h"
#include "agent/name_claims.h"
#include "ipam/client/ipam_client.h"
#include "agent/peer_model.h"
#include "agent/runtime.h"

namespace vx::agent {

struct ReconcilerOptions {
  std::chrono::milliseconds interval{500};  // between checks of the device
  int housekeeping_every = 10;              // checks between housekeeping passes
  // How long one long-poll may wait for a change: under the IPAM's limit and any idle timeout.
  std::chrono::milliseconds watch_wait{25000};
  // Between diffs of the whole kernel against the model (the safety net); every tenth uses a fresh
  // snapshot.
  std::chrono::milliseconds resync_interval{60000};
  // How long a reserved address may lack its container before it is released: for reservations
  // that never got one (a create that crashed). A create in flight is never at risk, whatever it
  // takes: its claim keeps its name out of the pass. Containers removed behind the agent's back are
  // released at once (removal_follower.h).
  std::chrono::seconds orphan_grace{20};
  // Who else holds names of this host's registry, which no orphan check may release: containers
  // Docker ran by itself (claimed on the way, docker_plugin/docker_endpoints.h) and CNI attachments
  // (cni/cni_service.h).
  using Holder =
      std::function<boost::asio::awaitable<std::set<std::string>>(const std::map<std::string, proto::Endpoint>&)>;
  std::vector<Holder> holders = {};
  // The names this host holds outside Docker that the kernel keeps, CNI attachments
  // (cni/cni_service.h), with their addresses where it keeps them: reserved again and their
  // networks set up again as a container's are. One that cannot be listed holds every name.
  std::function<Result<std::vector<proto::Endpoint>>()> attachments = {};
  // After each bringing of the kernel in line with the feed (an update, a snapshot, a full diff;
  // never the feed's wait): how long it took, and whether it worked (metrics.h).
  std::function<void(double seconds, bool ok)> on_sync = {};
};

// What the loops publish, for /health.
struct SyncState {
  bool synced = false;          // the kernel was brought in line with a snapshot at least once
  size_t peers = 0;             // flood entries programmed
  size_t remote_endpoints = 0;  // MAC entries programmed
  uint64_t revision = 0;        // of the last change applied
  size_t changes_applied = 0;   // since start, one by one
  size_t resets = 0;            // snapshots taken since start, the first included
  std::chrono::steady_clock::time_point last_answer{};  // of the IPAM's feed: a long-poll answers within its wait
  std::string last_error;       // empty after a good step
};

class Reconciler {
 public:
  Reconciler(const AgentIdentity& self, ipam::IpamClient& ipam, Dataplane& dataplane, Runtime& runtime,
             HostNetworks& networks, NameClaims& claims, ReconcilerOptions options);

  // The two loops, each until the io_context stops; the agent runs both.
  boost::asio::awaitable<void> follow();
  boost::asio::awaitable<void> keep_host();

  // A fresh snapshot, and the kernel diffed against it.
  boost::asio::awaitable<Status> sync_fdb();
  // One long-poll of the feed, its changes applied (or the snapshot it answers, diffed in).
  boost::asio::awaitable<Status> follow_once();
  boost::asio::awaitable<Status> check_device();
  boost::asio::awaitable<Status> housekeeping();
  // The kernel brought in line with the model the feed keeps, now: safe beside follow(), which a
  // fresh snapshot (sync_fdb) would not be. Every network set up here, or one.
  Status diff_kernel();
  Status diff_network(const NetworkSetup& network);

  const SyncState& state() const { return state_; }
  const PeerModel& model() const { return model_; }
  // Set when the feed reset: the registry may have lost this host's names, so keep_host() runs
  // housekeeping at its next check instead of waiting its turn, and the IPAM gets them back before
  // it can hand their addresses to others.
  bool housekeeping_due() const { return housekeeping_due_; }

 private:
  Status replace(const proto::Snapshot& snapshot);
  Status apply_plans(const NetworkPlans& plans);
  // Whether the endpoint's address is at another MAC than it was last heard at (address_macs.h);
  // `unheard` answers for one not heard before.
  bool moved(const proto::Endpoint& endpoint, bool unheard);
  // Tells this host and its containers where an endpoint's address now is (Dataplane::announce).
  void announce(const proto::Endpoint& endpoint);
  Status apply_plan(const std::string& device, const DevicePlan& plan);
  void count_entries();  // state_'s figures from the per-device ones
  // Sets up the networks of local containers that this host does not carry yet: after a restart.
  boost::asio::awaitable<void> bring_back_networks();
  void note(const Status& status, const char* what);
  void synced(std::chrono::steady_clock::time_point start, const Status& status);
  Status apply_update(const proto::Update& update);
  std::chrono::milliseconds jittered(std::chrono::milliseconds interval) const;

  // Reserves a local endpoint again at its address when the registry lost it, and records its MAC
  // when the registry lacks that.
  boost::asio::awaitable<void> restore(const proto::Endpoint& local,
                                       const std::map<std::string, proto::Endpoint>& registered);
  // The CNI attachments here; none when nobody makes them. Logs a listing that fails.
  Result<std::vector<proto::Endpoint>> list_attachments();
  // At the endpoint's address on its network, unless that is not in the network's subnet (a host
  // end's group an operator changed); whether the registry holds it now.
  boost::asio::awaitable<bool> reserve_again(const proto::Endpoint& local);
  // An attachment listed before the pass's awaits, restored only if the kernel still has it once
  // its name is claimed: a DEL that ended meanwhile must not get its pod's name reserved again.
  boost::asio::awaitable<void> restore_attachment(const proto::Endpoint& attachment,
                                                  const std::map<std::string, proto::Endpoint>& registered);
  // A managed container Docker holds but nobody started: a create cut short by a crash. It is
  // started when the registry holds its name here, else (or when it cannot start) removed, and
  // its name released; judged by what Docker and the registry say once the name is claimed.
  boost::asio::awaitable<void> finish_create(const ContainerInfo& listed);
  boost::asio::awaitable<void> release_orphans(const std::map<std::string, proto::Endpoint>& registered,
                                               const std::set<std::string>& present);

  const AgentIdentity& self_;
  ipam::IpamClient& ipam_;
  Dataplane& dataplane_;
  Runtime& runtime_;
  HostNetworks& networks_;
  NameClaims& claims_;
  ReconcilerOptions options_;
  PeerModel model_;
  AddressMacs macs_;
  std::optional<uint64_t> revision_;  // none until a snapshot
  SyncState state_;
  std::map<std::string, size_t> floods_, unicasts_;  // programmed, by device
  std::set<std::string> networks_in_use_;  // by this host's containers, at the last housekeeping
  std::map<std::string, std::chrono::steady_clock::time_point> orphan_since_;
  bool housekeeping_due_ = false;
};

}  // namespace vx::agent
