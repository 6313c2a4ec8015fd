// In-memory stand-ins for the agent's interfaces, so that its logic is tested without Docker, a
// kernel or a network: FakeRuntime (containers and networks, Docker's own rules: a container of a
// name that exists is a conflict, an image the host lacks is kBadInput "unknown_image", a container
// gets its address, MAC and PID when it starts), FakeIpam (names held per host, the IPAM's 409s and
// 404s, hosts and peers), FakeDataplane (a forwarding database per device, with the kernel's
// replace-versus-append rule, counting every change) and FakeProber (every probe answered, but for
// targets marked unreachable; records each check). Each can be switched down or told to fail for
// good with a given Error; every call is counted. TestHost wires one host's identity, fakes,
// ContainerService and Reconciler together, and run() drives a coroutine.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <ostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/cni/sandboxes.h"
#include "agent/container_service.h"
#include "agent/dataplane.h"
#include "agent/identity.h"
#include "ipam/client/ipam_client.h"
#include "agent/prober.h"
#include "agent/reconciler.h"
#include "agent/runtime.h"
#include "common/run_blocking.h"

namespace vx::agent {

// So that gtest prints entries in its messages.
inline void PrintTo(const FdbEntry& entry, std::ostream* out) { *out << entry.mac << "@" << entry.dst.to_string(); }

}  // namespace vx::agent

namespace vx::agent::fakes {

// Docker-style MACs of two containers, for the tests that follow them into forwarding entries.
inline constexpr const char* kMacA = "02:42:ac:14:00:05";
inline constexpr const char* kMacB = "02:42:ac:14:00:06";

struct TestHost;

// Counts calls by name, and makes a named call answer a planted Error instead of doing its work.
class Faults {
 public:
  // Every later call of `call` fails with `error`, changing nothing, until heal(call).
  void fail(const std::string& call, Error error) { failures_[call] = {std::move(error), false}; }
  // Every later call of `call` does its work and then fails with `error`, as a deadline that passes
  // just after the daemon acted: the caller cannot tell that it happened. Only the calls that end
  // in leave() honour it: FakeRuntime's create_container, start_container and remove_container.
  void fail_after_work(const std::string& call, Error error) { failures_[call] = {std::move(error), true}; }
  void heal(const std::string& call) { failures_.erase(call); }
  int calls(const std::string& call) const;

  // Counts the call; answers the Error planted by fail(), if any.
  std::optional<Error> enter(const std::string& call);
  // Answers the Error planted by fail_after_work(), if any.
  std::optional<Error> leave(const std::string& call) const;

 private:
  struct Planted {
    Error error;
    bool after_work;
  };
  std::map<std::string, Planted> failures_;
  std::map<std::string, int> calls_;
};

// Docker's MAC for an address, as Docker < 25 derives it: 02:42 and the four address bytes.
std::string mac_for(Ipv4 ip);

class FakeRuntime : public Runtime {
 public:
  struct Container {
    ContainerInfo info;
    ContainerSpec spec;  // as given to create_container
  };

  static constexpr int kFirstPid = 4000;     // running containers get PIDs above it
  bool down = false;                         // every call kUnavailable, as a stopped dockerd
  std::set<std::string> images{"alpine"};    // what this host has pulled
  std::map<std::string, Container> containers;  // by name
  std::map<std::string, NetworkInfo> networks;  // by name
  Faults faults;

  // A container made behind the agent's back (by hand, or by an earlier create), running.
  void add_container(const std::string& name, Labels labels, const std::string& ip = "");
  const Container* find(const std::string& id_or_name) const;

  boost::asio::awaitable<Status> ping() override;
  boost::asio::awaitable<Result<std::optional<NetworkInfo>>> inspect_network(const std::string& name) override;
  boost::asio::awaitable<Result<NetworkInfo>> create_network(const NetworkSpec& spec) override;
  boost::asio::awaitable<Status> remove_network(const std::string& name) override;
  boost::asio::awaitable<Result<ContainerInfo>> create_container(const ContainerSpec& spec) override;
  boost::asio::awaitable<Status> start_container(const std::string& id_or_name) override;
  boost::asio::awaitable<Result<std::optional<ContainerInfo>>> inspect_container(
      const std::string& id_or_name) override;
  boost::asio::awaitable<Status> remove_container(const std::string& id_or_name) override;
  boost::asio::awaitable<Result<std::vector<ContainerInfo>>> list_containers(const std::string& label_key,
                                                                            const std::string& label_value) override;
  // Containers whose info lists the network.
  boost::asio::awaitable<Result<std::vector<ContainerInfo>>> list_attached(const std::string& network) override;
  boost::asio::awaitable<Status> disconnect(const std::string& network, const std::string& container_id) override;
  // From `network_log`, at once.
  boost::asio::awaitable<Result<std::vector<NetworkEvent>>> network_events(
      std::chrono::system_clock::time_point since, std::chrono::system_clock::time_point until) override;
  std::vector<NetworkEvent> network_log;  // handed out, then cleared, by the next network_events()
  // From `removals`, waiting until `until` as Docker does.
  boost::asio::awaitable<Result<std::vector<std::string>>> removed_containers(
      const Labels& labels, std::chrono::system_clock::time_point since,
      std::chrono::system_clock::time_point until) override;

  struct Removal {
    std::chrono::system_clock::time_point at;
    ContainerInfo container;
  };
  std::vector<Removal> removals;  // every container remove_container removed, as Docker's events

 private:
  std::optional<Error> enter(const std::string& call);
  Container* find_mutable(const std::string& id_or_name);
  int next_id_ = 1;
};

class FakeIpam : public ipam::IpamClient {
 public:
  bool down = false;  // every call kUnavailable, as an IPAM that does not answer
  std::string subnet = "172.20.0.0/16";
  std::map<std::string, proto::Endpoint> names;  // what the registry holds, by container name
  std::vector<proto::Host> hosts;         // registered, each alive or not
  // Every change made through the calls and hold()/add_host()/drop_host(), under revisions 1, 2,
  // ...: what watch_peers answers from. Changing `names` or `hosts` directly logs nothing, as a
  // Redis that lost data without telling.
  std::vector<proto::Change> log;
  Faults faults;
  // While set, allocate waits on it (cancel it to let them through): a slow IPAM, so that a test
  // can act while a create is half-way.
  std::shared_ptr<boost::asio::steady_timer> allocate_gate;
  std::function<void()> after_rename = [] {};  // what happens elsewhere while a rename is answered

  // The networks it knows, the default one (VNI 100, `subnet`) from the start.
  std::map<std::string, proto::NetworkStatus> networks{
      {"vxlan-net", {"vxlan-net", "172.20.0.0/16", 100, "172.20.0.1", "172.20.255.254", 65534, 0, 65534}}};
  void add_network(const std::string& name, const std::string& subnet, uint32_t vni);

  // Plants a name held by `host` (on another host, or left by an earlier create on this one).
  proto::Endpoint& hold(const std::string& name, const std::string& host, const std::string& mac = "",
                        const std::string& network = "vxlan-net");
  void add_host(const std::string& host_id, const std::string& underlay, bool alive = true);
  void drop_host(const std::string& host_id);
  // Logs `name`'s entry as it is now (a put), or its removal when the registry no longer holds it.
  void log_endpoint(const std::string& name);
  uint64_t revision() const { return log.size(); }

  boost::asio::awaitable<Result<std::string>> register_host(const proto::HostRegistration& host) override;
  boost::asio::awaitable<Status> heartbeat(const std::string& host_id) override;
  boost::asio::awaitable<Result<proto::Reservation>> allocate(const proto::AllocateRequest& request) override;
  boost::asio::awaitable<Status> release(const std::string& name, const std::string& host_id) override;
  boost::asio::awaitable<Status> release_held(const std::string& name, const std::string& host_id,
                                              const std::string& mac) override;
  boost::asio::awaitable<Status> record_endpoint(const std::string& name,
                                                 const proto::EndpointRecord& record) override;
  boost::asio::awaitable<Result<proto::Endpoint>> rename(const std::string& name,
                                                         const proto::RenameRequest& request) override;
  boost::asio::awaitable<Result<std::vector<proto::Endpoint>>> containers(const std::string& host_id) override;
  boost::asio::awaitable<Result<proto::Endpoint>> container(const std::string& name) override;
  boost::asio::awaitable<Result<proto::NetworkStatus>> network(const std::string& name) override;
  boost::asio::awaitable<Result<proto::NetworkStatus>> create_network(const proto::NetworkRequest& request) override;
  std::vector<proto::NetworkRequest> created_networks;  // every create_network() call, in order
  // Answers at once, never waits: the changes after `since`, or the snapshot (reset when `since`
  // is ahead of the log).
  boost::asio::awaitable<Result<proto::Update>> watch_peers(std::optional<uint64_t> since,
                                                             std::chrono::milliseconds wait) override;

 private:
  std::optional<Error> enter(const std::string& call);
  void log_host(const proto::Host& host, proto::Op op);
  uint32_t next_ip_ = 2;  // 172.20.0.2 first
};

class FakeProber : public Prober {
 public:
  struct Check {
    int pid;
    Ipv4 target;
    ProbeOptions options;
  };
  static constexpr double kRttMs = 0.25;  // every answered probe's round trip

  std::set<Ipv4> unreachable;  // targets that answer no probe
  std::vector<Check> checks;   // every probe() call, in order
  Faults faults;               // "probe"

  boost::asio::awaitable<Result<ProbeReport>> probe(int pid, Ipv4 target, ProbeOptions options) override;
};

class FakeDataplane : public Dataplane {
 public:
  std::map<std::string, UnderlayInfo> underlays;
  std::map<std::string, VxlanState> vxlans;             // by device
  std::map<std::string, std::vector<FdbEntry>> fdbs;    // by device, in the order added
  Faults faults;

  Result<UnderlayInfo> underlay(const std::string& device) override;
  Status ensure_vxlan(const VxlanSpec& spec) override;
  Result<VxlanState> vxlan_state(const std::string& device) override;
  Result<std::vector<FdbEntry>> fdb(const std::string& device) override;
  Status add_fdb(const std::string& device, const FdbEntry& entry) override;
  Status remove_fdb(const std::string& device, const FdbEntry& entry) override;
  std::vector<IsolatedNetwork> isolated;  // what the last isolate() asked for
  Status isolate(const std::vector<IsolatedNetwork>& networks) override;
  std::map<std::string, std::map<Ipv4, std::string>> neighbour_tables;  // by device: address -> MAC
  Result<std::vector<NeighbourEntry>> neighbours(const std::string& device) override;
  Status add_neighbour(const std::string& device, const NeighbourEntry& entry) override;
  Status remove_neighbour(const std::string& device, const NeighbourEntry& entry) override;
  std::vector<std::pair<std::string, NeighbourEntry>> announced;  // bridge and entry, in order
  Status announce(const std::string& bridge, const NeighbourEntry& entry) override;

  // add_fdb and remove_fdb calls together.
  int changes() const { return faults.calls("add_fdb") + faults.calls("remove_fdb"); }
};

// The kernel's side in memory: host ends by name, with the spec that made them.
class FakeSandboxes : public Sandboxes {
 public:
  std::map<std::string, VethSpec> pairs;
  std::optional<Error> attach_fails;
  std::optional<Error> listing_fails;  // host_ends() answers it

  Status attach(const VethSpec& spec) override {
    if (attach_fails) return *attach_fails;
    if (pairs.count(spec.host_interface)) return conflict("interface_exists", spec.host_interface);
    pairs[spec.host_interface] = spec;
    return Ok{};
  }
  Status detach(const std::string& host_interface) override {
    pairs.erase(host_interface);
    return Ok{};
  }
  Result<std::vector<HostEnd>> host_ends(const std::string& prefix) override {
    if (listing_fails) return *listing_fails;
    std::vector<HostEnd> ends;
    for (const auto& [name, spec] : pairs) {
      if (spec.label.starts_with(prefix)) ends.push_back({name, spec.label, spec.address});
    }
    return ends;
  }
  Status check(const VethSpec& spec) override {
    auto found = pairs.find(spec.host_interface);
    if (found == pairs.end()) return conflict("attachment_broken", "no pair");
    if (found->second.address != spec.address || found->second.mac != spec.mac) return conflict("attachment_broken", "differs");
    return Ok{};
  }
};

// Entries in one order, for comparing what the kernel holds as a set.
std::vector<FdbEntry> sorted(std::vector<FdbEntry> entries);

// The invariant every path of the agent keeps: each managed container on the host holds, at the
// IPAM, its own name on this host with its own address; no container runs on an address that the
// registry could hand to someone else.
::testing::AssertionResult every_container_holds_its_address(const TestHost& host);

// Drives one coroutine to its end on a fresh io_context.
template <typename T>
T run(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  return run_blocking(io, std::move(task));
}

Ipv4 ip(const std::string& text);  // parses, or fails the test

// One host of the cluster ("host1", underlay 10.99.0.11) as the agent sees it once set up: the
// IPAM knows the host and holds its gateway name, Docker has the overlay network and the kernel
// the VXLAN device. The service and the reconciler run on the fakes.
struct TestHost {
  explicit TestHost(ReconcilerOptions options = {});
  TestHost(const TestHost&) = delete;  // the service and the reconciler point at the members
  TestHost& operator=(const TestHost&) = delete;

  AgentIdentity self;
  FakeRuntime runtime;
  FakeIpam ipam;
  FakeDataplane dataplane;
  HostNetworks networks;
  NameClaims claims;
  // What the service asks of the CNI attachments here: none, unless a test says otherwise.
  AttachedHere attached_here = [](const std::string&) -> Result<bool> { return false; };
  ContainerService service;
  Reconciler reconciler;
};

}  // namespace vx::agent::fakes
