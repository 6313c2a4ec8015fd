#include "agent/reconciler.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>
#include <set>
#include <utility>

#include "agent/container_service.h"
#include "agent/fdb_plan.h"
#include "agent/host_setup.h"

namespace vx::agent {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

bool is_flood(const FdbEntry& entry) { return entry.mac == kFloodMac; }

}  // namespace

Reconciler::Reconciler(const AgentIdentity& self, ipam::IpamClient& ipam, Dataplane& dataplane, Runtime& runtime,
                       HostNetworks& networks, NameClaims& claims, ReconcilerOptions options)
    : self_(self),
      ipam_(ipam),
      dataplane_(dataplane),
      runtime_(runtime),
      networks_(networks),
      claims_(claims),
      options_(options),
      model_(self.host_id) {}

std::chrono::milliseconds Reconciler::jittered(std::chrono::milliseconds interval) const {
  static thread_local std::minstd_rand random(std::random_device{}());
  std::uniform_int_distribution<int64_t> spread(-interval.count() / 10, interval.count() / 10);
  return interval + std::chrono::milliseconds(spread(random));
}

void Reconciler::synced(Clock::time_point start, const Status& status) {
  if (options_.on_sync) options_.on_sync(std::chrono::duration<double>(Clock::now() - start).count(), status.ok());
}

void Reconciler::note(const Status& status, const char* what) {
  if (!status && status.error().detail != state_.last_error) {
    spdlog::warn("{} failed, keeping the data plane as it is: {}", what, status.error().detail);
  }
  if (status && !state_.last_error.empty()) spdlog::info("{} works again", what);
  state_.last_error = status ? "" : status.error().detail;
}

asio::awaitable<void> Reconciler::follow() {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  auto next_resync = Clock::now() + jittered(options_.resync_interval);
  for (int resyncs = 1;;) {
    Status step = Ok{};
    auto start = Clock::now();
    if (!revision_) {
      step = co_await sync_fdb();
      synced(start, step);
    } else if (Clock::now() >= next_resync) {
      step = ++resyncs % 10 == 0 ? co_await sync_fdb() : diff_kernel();
      synced(start, step);
      next_resync = Clock::now() + jittered(options_.resync_interval);
    } else {
      step = co_await follow_once();
    }
    note(step, "following the peer feed");
    if (!step) {
      pause.expires_after(options_.interval);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
}

asio::awaitable<Status> Reconciler::sync_fdb() {
  auto update = co_await ipam_.watch_peers(std::nullopt, std::chrono::milliseconds(0));
  if (!update) co_return update.error();
  state_.last_answer = Clock::now();
  if (!update->full) co_return internal("bad_answer", "the IPAM answered GET /peers without a snapshot");
  co_return replace(update->snapshot);
}

asio::awaitable<Status> Reconciler::follow_once() {
  if (!revision_) co_return co_await sync_fdb();
  auto update = co_await ipam_.watch_peers(revision_, options_.watch_wait);
  if (!update) {
    synced(Clock::now(), update.error());
    co_return update.error();
  }
  state_.last_answer = Clock::now();
  Status applied = apply_update(*update);
  synced(state_.last_answer, applied);
  co_return applied;
}

Status Reconciler::apply_update(const proto::Update& update) {
  if (update.full) {
    spdlog::info("the IPAM cannot continue the feed from revision {}: taking its snapshot at {}", *revision_,
                 update.revision);
    housekeeping_due_ = true;
    return replace(update.snapshot);
  }
  for (const auto& change : update.changes) {
    Status applied = apply_plans(model_.apply(change));
    if (!applied) {
      revision_.reset();  // the kernel lags the model: diff everything on the next step
      return applied;
    }
    if (change.kind == proto::Kind::kEndpoint && change.op == proto::Op::kPut && moved(change.endpoint, true)) {
      announce(change.endpoint);
    }
    ++state_.changes_applied;
  }
  revision_ = state_.revision = update.revision;
  return Ok{};
}

bool Reconciler::moved(const proto::Endpoint& endpoint, bool unheard) {
  auto ip = Ipv4::parse(endpoint.ip_address);
  if (!ip || endpoint.mac_address.empty()) return false;
  auto before = macs_.record(endpoint.network, *ip, endpoint.mac_address);
  return before ? *before != endpoint.mac_address : unheard;
}

// After the plan, so that the VXLAN device's proxy answers the same MAC as the announcement. Best
// effort: a cache it misses still learns the MAC when its entry goes stale.
void Reconciler::announce(const proto::Endpoint& endpoint) {
  const NetworkSetup* setup = networks_.find(endpoint.network);
  if (setup == nullptr) return;
  NeighbourEntry entry{*Ipv4::parse(endpoint.ip_address), endpoint.mac_address};
  if (Status sent = dataplane_.announce(setup->devices.bridge, entry); !sent) {
    spdlog::debug("cannot announce {} at {} on {}: {}", endpoint.ip_address, endpoint.mac_address,
                  setup->devices.bridge, sent.error().detail);
  }
}

Status Reconciler::replace(const proto::Snapshot& snapshot) {
  model_.replace(snapshot);
  ++state_.resets;
  Status diffed = diff_kernel();
  if (diffed) revision_ = state_.revision = snapshot.revision;
  // What moved while the feed was away; the first snapshot has nothing to compare with.
  for (const auto& endpoint : snapshot.endpoints) {
    if (moved(endpoint, false)) announce(endpoint);
  }
  return diffed;
}

// One network that cannot be diffed does not keep the others from it.
Status Reconciler::diff_kernel() {
  Status first = Ok{};
  for (const auto& [network, setup] : networks_.all()) {
    if (Status diffed = diff_network(setup); !diffed && first) first = diffed;
  }
  if (first) state_.synced = true;
  return first;
}

Status Reconciler::diff_network(const NetworkSetup& network) {
  const std::string& device = network.devices.vxlan_device;
  auto current = dataplane_.fdb(device);
  if (!current) return current.error();
  auto neighbours = dataplane_.neighbours(device);
  if (!neighbours) return neighbours.error();
  std::vector<FdbEntry> desired = model_.desired(network.devices.network);
  DevicePlan plan{plan_fdb(desired, *current),
                  plan_changes(model_.desired_neighbours(network.devices.network), *neighbours)};
  if (Status applied = apply_plan(device, plan); !applied) return applied;
  if (!plan.empty()) {
    spdlog::info("forwarding entries of {} synced: {} added, {} removed; neighbours: {} added, {} removed",
                 network.devices.network, plan.fdb.add.size(), plan.fdb.remove.size(), plan.neighbours.add.size(),
                 plan.neighbours.remove.size());
  }
  size_t floods = std::count_if(desired.begin(), desired.end(), is_flood);
  floods_[device] = floods;
  unicasts_[device] = desired.size() - floods;
  count_entries();
  return Ok{};
}

Status Reconciler::apply_plans(const NetworkPlans& plans) {
  for (const auto& [network, plan] : plans) {
    const NetworkSetup* setup = networks_.find(network);
    if (setup == nullptr) continue;  // not carried here: its entries come with its set-up
    if (Status applied = apply_plan(setup->devices.vxlan_device, plan); !applied) return applied;
  }
  return Ok{};
}

Status Reconciler::apply_plan(const std::string& device, const DevicePlan& plan) {
  for (const auto& entry : plan.fdb.remove) {
    if (Status removed = dataplane_.remove_fdb(device, entry); !removed) return removed.error();
    size_t& count = is_flood(entry) ? floods_[device] : unicasts_[device];
    if (count > 0) --count;
  }
  for (const auto& entry : plan.fdb.add) {
    if (Status added = dataplane_.add_fdb(device, entry); !added) return added.error();
    ++(is_flood(entry) ? floods_[device] : unicasts_[device]);
  }
  for (const auto& entry : plan.neighbours.remove) {
    if (Status removed = dataplane_.remove_neighbour(device, entry); !removed) return removed.error();
  }
  for (const auto& entry : plan.neighbours.add) {
    if (Status added = dataplane_.add_neighbour(device, entry); !added) return added.error();
  }
  count_entries();
  return Ok{};
}

void Reconciler::count_entries() {
  state_.peers = state_.remote_endpoints = 0;
  for (const auto& [device, count] : floods_) state_.peers += count;
  for (const auto& [device, count] : unicasts_) state_.remote_endpoints += count;
}

asio::awaitable<void> Reconciler::keep_host() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::string device_error;
  for (int pass = 0;; ++pass) {
    Status device = co_await check_device();
    std::string error = device ? "" : device.error().detail;
    if (!error.empty() && error != device_error) spdlog::warn("cannot set the host up again: {}", error);
    device_error = error;
    if (pass % options_.housekeeping_every == 0 || std::exchange(housekeeping_due_, false)) {
      if (Status kept = co_await housekeeping(); !kept) spdlog::warn("housekeeping: {}", kept.error().detail);
    }
    timer.expires_after(options_.interval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<Status> Reconciler::check_device() {
  networks_.keep_apart();
  std::vector<NetworkSetup> broken;
  for (const auto& [network, setup] : networks_.all()) {
    if (!vxlan_is_set_up(setup.devices, dataplane_)) broken.push_back(setup);
  }
  Status first = Ok{};
  for (const auto& setup : broken) {
    spdlog::warn("{} is missing, down or off {}: setting network {} up again", setup.devices.vxlan_device,
                 setup.devices.bridge, setup.devices.network);
    Status repaired = co_await networks_.repair(setup.devices.network);
    const NetworkSetup* again = networks_.find(setup.devices.network);
    if (repaired && again != nullptr) repaired = diff_network(*again);  // a new device holds no entries
    if (!repaired && first) first = repaired;
  }
  co_return first;
}

asio::awaitable<Status> Reconciler::housekeeping() {
  auto registry = co_await ipam_.containers(self_.host_id);
  if (!registry) co_return registry.error();
  auto local = co_await runtime_.list_containers(kManagedLabel, "true");
  if (!local) co_return local.error();

  std::map<std::string, proto::Endpoint> registered;
  for (auto& endpoint : *registry) {
    if (endpoint.host_id == self_.host_id) registered[endpoint.container_name] = std::move(endpoint);
  }
  auto listed = list_attachments();
  std::vector<proto::Endpoint> attached = listed ? std::move(*listed) : std::vector<proto::Endpoint>();
  networks_in_use_.clear();
  for (const auto& container : *local) networks_in_use_.insert(network_of(container));
  for (const auto& endpoint : attached) networks_in_use_.insert(endpoint.network);
  co_await bring_back_networks();
  // Copied: restoring a gateway may set its network up again, which changes the map.
  std::map<std::string, NetworkSetup> carried = networks_.all();
  for (const auto& [network, setup] : carried) {
    proto::Endpoint gateway{self_.gateway_name(network), setup.gateway, self_.host_id, "", network};
    co_await restore(gateway, registered);
  }
  std::set<std::string> present;
  for (const auto& container : *local) {
    present.insert(container.name);
    auto claim = claims_.take({container.name});
    if (!claim) continue;
    if (container.state == "created") {
      co_await finish_create(container);
      continue;
    }
    proto::Endpoint held{container.name, container.ip_address, self_.host_id, container.mac_address,
                         network_of(container)};
    co_await restore(held, registered);
  }
  if (!listed) {
    for (const auto& [name, endpoint] : registered) present.insert(name);
  }
  for (const auto& endpoint : attached) {
    present.insert(endpoint.container_name);
    co_await restore_attachment(endpoint, registered);
  }
  for (const auto& holder : options_.holders) present.merge(co_await holder(registered));
  co_await release_orphans(registered, present);
  co_return Ok{};
}

Result<std::vector<proto::Endpoint>> Reconciler::list_attachments() {
  if (!options_.attachments) return std::vector<proto::Endpoint>();
  auto listed = options_.attachments();
  if (!listed) spdlog::warn("cannot list the CNI attachments: {}", listed.error().detail);
  return listed;
}

asio::awaitable<void> Reconciler::bring_back_networks() {
  std::set<std::string> needed = networks_in_use_;  // a copy: iterated across awaits
  for (const auto& network : needed) {
    if (network == proto::kDefaultNetwork || networks_.find(network)) continue;
    spdlog::info("setting network {} up again for the containers on it here", network);
    auto setup = co_await networks_.ensure(network);
    if (!setup) spdlog::warn("cannot set network {} up again: {}", network, setup.error().detail);
  }
}

namespace {

bool mac_recorded(const proto::Endpoint& local, const std::map<std::string, proto::Endpoint>& registered) {
  auto entry = registered.find(local.container_name);
  return entry != registered.end() && (local.mac_address.empty() || entry->second.mac_address == local.mac_address);
}

}  // namespace

asio::awaitable<void> Reconciler::restore_attachment(const proto::Endpoint& attachment,
                                                     const std::map<std::string, proto::Endpoint>& registered) {
  const std::string& name = attachment.container_name;
  auto claim = claims_.take({name});
  if (!claim || mac_recorded(attachment, registered)) co_return;
  auto listed = options_.attachments();  // no DEL of it can end from here on: it is claimed
  if (!listed) co_return;
  bool still = std::any_of(listed->begin(), listed->end(), [&attachment](const proto::Endpoint& now) {
    return now.container_name == attachment.container_name && now.mac_address == attachment.mac_address;
  });
  if (still) co_await restore(attachment, registered);
}

asio::awaitable<void> Reconciler::restore(const proto::Endpoint& local,
                                          const std::map<std::string, proto::Endpoint>& registered) {
  if (mac_recorded(local, registered)) co_return;
  const std::string& name = local.container_name;
  if (!registered.count(name)) {
    // Without an address (an attachment made before they kept theirs) there is nothing to reserve,
    // and no registry name to record a MAC under.
    if (local.ip_address.empty() || !co_await reserve_again(local)) co_return;
  }
  if (local.mac_address.empty()) co_return;
  proto::EndpointRecord record{self_.host_id, local.mac_address};
  if (Status saved = co_await ipam_.record_endpoint(name, record); !saved) {
    spdlog::warn("cannot record the MAC of {}: {}", name, saved.error().detail);
  }
}

asio::awaitable<bool> Reconciler::reserve_again(const proto::Endpoint& local) {
  const std::string& name = local.container_name;
  const std::string& network = local.network;
  auto wanted = Ipv4::parse(local.ip_address);
  const NetworkSetup* setup = networks_.find(network);
  if (wanted && setup != nullptr && !setup->subnet.contains(*wanted)) {
    wanted = bad_input("outside_subnet", "not on network " + network + " (" + setup->subnet.to_string() + ")");
  }
  if (!wanted) {
    spdlog::error("cannot reserve {} for {} again: {}", local.ip_address, name, wanted.error().detail);
    co_return false;
  }
  spdlog::warn("the registry lost {} ({}); reserving it again", name, local.ip_address);
  proto::AllocateRequest request{name, self_.host_id, *wanted, network};
  auto reserved = co_await ipam_.allocate(request);
  // A network the IPAM does not know: lost with its registry while this host runs containers on
  // it (written back), or deleted once none ran on it (dropped here, never written back).
  if (!reserved && reserved.error().code == "unknown_network") {
    if (!networks_in_use_.count(network)) {
      networks_.forget(network);
      co_return false;
    }
    if (Status restored = co_await networks_.restore_at_ipam(network); restored) {
      reserved = co_await ipam_.allocate(request);
    }
  }
  if (!reserved) {
    spdlog::error("cannot reserve {} for {} again: {}", local.ip_address, name, reserved.error().detail);
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> Reconciler::finish_create(const ContainerInfo& listed) {
  const std::string& name = listed.name;
  // The listing and the registry were read before the pass's awaits, and a create of this agent
  // may have ended since (started its container, reserved its name); claimed, neither changes now.
  auto now = co_await runtime_.inspect_container(listed.id);
  if (!now || !now->has_value() || (*now)->state != "created") co_return;
  auto held = co_await ipam_.container(name);
  if (!held && held.error().kind != ErrorKind::kNotFound) co_return;  // cannot tell: the next pass
  bool reserved = held && held->host_id == self_.host_id;
  const ContainerInfo& container = **now;
  if (reserved) {
    Status started = co_await runtime_.start_container(container.id);
    if (started) {
      spdlog::warn("started {}: an agent stopped between creating and starting it", name);
      co_return;
    }
    spdlog::warn("cannot start {}, left created by an agent that stopped: {}; removing it", name,
                 started.error().detail);
  } else {
    spdlog::warn("removing {}: created but never started, and the registry holds no address for it here", name);
  }
  if (Status removed = co_await runtime_.remove_container(container.id); !removed) {
    spdlog::warn("cannot remove {}: {}", name, removed.error().detail);
    co_return;
  }
  if (!reserved) co_return;
  if (Status released = co_await ipam_.release(name, self_.host_id); !released) {
    spdlog::warn("cannot release {}: {}", name, released.error().detail);
  }
}

asio::awaitable<void> Reconciler::release_orphans(const std::map<std::string, proto::Endpoint>& registered,
                                                  const std::set<std::string>& present) {
  auto now = Clock::now();
  std::map<std::string, Clock::time_point> still_orphaned;
  for (const auto& [name, endpoint] : registered) {
    if (present.count(name) || proto::is_gateway_name(name)) continue;
    auto claim = claims_.take({name});
    if (!claim) continue;
    auto since = orphan_since_.emplace(name, now).first->second;
    if (now - since < options_.orphan_grace) {
      still_orphaned[name] = since;
      continue;
    }
    // `registered` was read before the pass's awaits, and an operation of this host may have given
    // the name a container since (an ADD takes over a reservation an ADD left). Claimed now, the
    // name cannot change between this read and the release.
    auto current = co_await ipam_.container(name);
    if (!current) {
      if (current.error().kind != ErrorKind::kNotFound) still_orphaned[name] = since;
      continue;
    }
    if (*current != endpoint) continue;
    spdlog::warn("releasing {} of {}: no container has held it for {} s", endpoint.ip_address, name,
                 std::chrono::duration_cast<std::chrono::seconds>(now - since).count());
    Status released = co_await ipam_.release(name, self_.host_id);
    if (!released && released.error().kind != ErrorKind::kNotFound) {
      spdlog::warn("cannot release {}: {}", name, released.error().detail);
      still_orphaned[name] = since;
    }
  }
  orphan_since_ = std::move(still_orphaned);
}

}  // namespace vx::agent
