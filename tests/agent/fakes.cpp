// The fakes of fakes.h: small in-memory models of Docker, the IPAM and the kernel's VXLAN device,
// each following the real one's documented answers closely enough that the agent cannot tell.
#include "fakes.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

namespace vx::agent::fakes {

namespace asio = boost::asio;

// ---------------------------------------------------------------- Faults

int Faults::calls(const std::string& call) const {
  auto found = calls_.find(call);
  return found == calls_.end() ? 0 : found->second;
}

std::optional<Error> Faults::enter(const std::string& call) {
  ++calls_[call];
  auto found = failures_.find(call);
  if (found == failures_.end() || found->second.after_work) return std::nullopt;
  return found->second.error;
}

std::optional<Error> Faults::leave(const std::string& call) const {
  auto found = failures_.find(call);
  if (found == failures_.end() || !found->second.after_work) return std::nullopt;
  return found->second.error;
}

std::string mac_for(Ipv4 ip) {
  uint32_t v = ip.value();
  char text[18];
  std::snprintf(text, sizeof text, "02:42:%02x:%02x:%02x:%02x", (v >> 24) & 0xff, (v >> 16) & 0xff,
                (v >> 8) & 0xff, v & 0xff);
  return text;
}

Ipv4 ip(const std::string& text) {
  auto parsed = Ipv4::parse(text);
  if (!parsed) {
    ADD_FAILURE() << "bad address in a test: " << text;
    return Ipv4{};
  }
  return *parsed;
}

std::vector<FdbEntry> sorted(std::vector<FdbEntry> entries) {
  std::sort(entries.begin(), entries.end());
  return entries;
}

::testing::AssertionResult every_container_holds_its_address(const TestHost& host) {
  for (const auto& [name, container] : host.runtime.containers) {
    auto managed = container.info.labels.find(kManagedLabel);
    if (managed == container.info.labels.end() || managed->second != "true") continue;
    auto held = host.ipam.names.find(name);
    if (held == host.ipam.names.end()) {
      return ::testing::AssertionFailure() << "container " << name << " runs on " << container.info.ip_address
                                           << ", an address the IPAM does not hold for it";
    }
    if (held->second.host_id != host.self.host_id || held->second.ip_address != container.info.ip_address) {
      return ::testing::AssertionFailure() << "container " << name << " runs on " << container.info.ip_address
                                           << " but the IPAM holds " << held->second.ip_address << " on "
                                           << held->second.host_id << " for it";
    }
  }
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------- FakeRuntime

std::optional<Error> FakeRuntime::enter(const std::string& call) {
  if (auto planted = faults.enter(call)) return planted;
  if (down) return unavailable("docker_unavailable", "Docker at /var/run/docker.sock does not answer");
  return std::nullopt;
}

FakeRuntime::Container* FakeRuntime::find_mutable(const std::string& id_or_name) {
  for (auto& [name, container] : containers) {
    if (name == id_or_name || container.info.id == id_or_name) return &container;
  }
  return nullptr;
}

const FakeRuntime::Container* FakeRuntime::find(const std::string& id_or_name) const {
  return const_cast<FakeRuntime*>(this)->find_mutable(id_or_name);
}

void FakeRuntime::add_container(const std::string& name, Labels labels, const std::string& address) {
  Container container;
  container.info = {"id-" + std::to_string(next_id_++), name, "alpine", "running", address,
                    address.empty() ? "" : mac_for(ip(address)), labels};
  container.info.pid = kFirstPid + next_id_++;
  container.spec = {name, "alpine", "", address.empty() ? Ipv4{} : ip(address), std::move(labels)};
  containers[name] = std::move(container);
}

asio::awaitable<Status> FakeRuntime::ping() {
  if (auto failed = enter("ping")) co_return *failed;
  co_return Ok{};
}

asio::awaitable<Result<std::optional<NetworkInfo>>> FakeRuntime::inspect_network(const std::string& name) {
  if (auto failed = enter("inspect_network")) co_return *failed;
  auto found = networks.find(name);
  if (found == networks.end()) co_return std::optional<NetworkInfo>();
  NetworkInfo info = found->second;
  info.containers = static_cast<int>(std::count_if(containers.begin(), containers.end(), [&](const auto& entry) {
    return entry.second.spec.network == name;
  }));
  co_return std::optional<NetworkInfo>(info);
}

asio::awaitable<Result<NetworkInfo>> FakeRuntime::create_network(const NetworkSpec& spec) {
  if (auto failed = enter("create_network")) co_return *failed;
  if (networks.count(spec.name)) co_return conflict("conflict", "network " + spec.name + " exists");
  NetworkInfo info{"net-" + std::to_string(next_id_++), spec.name, "bridge", spec.subnet.to_string(),
                   spec.gateway.to_string(), spec.bridge_name, spec.mtu, 0, spec.labels};
  networks[spec.name] = info;
  co_return info;
}

asio::awaitable<Status> FakeRuntime::remove_network(const std::string& name) {
  if (auto failed = enter("remove_network")) co_return *failed;
  if (!networks.erase(name)) co_return not_found("unknown_network", "no network " + name);
  co_return Ok{};
}

asio::awaitable<Result<ContainerInfo>> FakeRuntime::create_container(const ContainerSpec& spec) {
  if (auto failed = enter("create_container")) co_return *failed;
  if (!images.count(spec.image)) {
    co_return bad_input("unknown_image", "image '" + spec.image + "' is not on this host");
  }
  if (containers.count(spec.name)) co_return conflict("container_exists", "container " + spec.name + " exists");
  if (!networks.count(spec.network)) co_return not_found("unknown_network", "no network " + spec.network);
  // As Docker: the address is known from create on, the MAC only once the container runs.
  ContainerInfo info{"id-" + std::to_string(next_id_++), spec.name, spec.image, "created",
                     spec.ip.to_string(), "", spec.labels};
  containers[spec.name] = {info, spec};
  if (auto lost = faults.leave("create_container")) co_return *lost;
  co_return info;
}

asio::awaitable<Status> FakeRuntime::start_container(const std::string& id_or_name) {
  if (auto failed = enter("start_container")) co_return *failed;
  Container* container = find_mutable(id_or_name);
  if (!container) co_return not_found("unknown_container", "no container " + id_or_name);
  if (container->info.state == "running") co_return Ok{};
  auto network = networks.find(container->spec.network);
  if (network == networks.end()) co_return not_found("unknown_network", "no network " + container->spec.network);
  std::string address = container->spec.ip.to_string();
  bool taken = address == network->second.gateway ||
               std::any_of(containers.begin(), containers.end(), [&](const auto& entry) {
                 const Container& other = entry.second;
                 return &other != container && other.info.state == "running" &&
                        other.spec.network == container->spec.network && other.info.ip_address == address;
               });
  if (taken) co_return conflict("address_in_use", "Address already in use: " + address);
  container->info.state = "running";
  container->info.pid = kFirstPid + next_id_++;
  container->info.mac_address = mac_for(container->spec.ip);
  if (auto lost = faults.leave("start_container")) co_return *lost;
  co_return Ok{};
}

asio::awaitable<Result<std::optional<ContainerInfo>>> FakeRuntime::inspect_container(const std::string& id_or_name) {
  if (auto failed = enter("inspect_container")) co_return *failed;
  const Container* container = find(id_or_name);
  co_return container ? std::optional<ContainerInfo>(container->info) : std::optional<ContainerInfo>();
}

asio::awaitable<Status> FakeRuntime::remove_container(const std::string& id_or_name) {
  if (auto failed = enter("remove_container")) co_return *failed;
  const Container* container = find(id_or_name);
  if (!container) co_return not_found("unknown_container", "no container " + id_or_name);
  removals.push_back({std::chrono::system_clock::now(), container->info});
  containers.erase(container->info.name);
  if (auto lost = faults.leave("remove_container")) co_return *lost;
  co_return Ok{};
}

asio::awaitable<Result<std::vector<ContainerInfo>>> FakeRuntime::list_containers(const std::string& label_key,
                                                                                 const std::string& label_value) {
  if (auto failed = enter("list_containers")) co_return *failed;
  std::vector<ContainerInfo> out;
  for (const auto& [name, container] : containers) {
    auto label = container.info.labels.find(label_key);
    if (label != container.info.labels.end() && label->second == label_value) out.push_back(container.info);
  }
  co_return out;
}

asio::awaitable<Result<std::vector<ContainerInfo>>> FakeRuntime::list_attached(const std::string& network) {
  if (auto failed = enter("list_attached")) co_return *failed;
  std::vector<ContainerInfo> out;
  for (const auto& [name, container] : containers) {
    if (container.info.networks.count(network)) out.push_back(container.info);
  }
  co_return out;
}

asio::awaitable<Status> FakeRuntime::disconnect(const std::string& network, const std::string& container_id) {
  if (auto failed = enter("disconnect")) co_return *failed;
  Container* container = find_mutable(container_id);
  if (container == nullptr || !container->info.networks.erase(network)) {
    co_return not_found("not_found", "no such container or network");
  }
  network_log.push_back({"disconnect", network, container->info.id});
  co_return Ok{};
}

asio::awaitable<Result<std::vector<NetworkEvent>>> FakeRuntime::network_events(std::chrono::system_clock::time_point,
                                                                               std::chrono::system_clock::time_point) {
  if (auto failed = enter("network_events")) co_return *failed;
  co_return std::exchange(network_log, {});
}

asio::awaitable<Result<std::vector<std::string>>> FakeRuntime::removed_containers(
    const Labels& labels, std::chrono::system_clock::time_point since, std::chrono::system_clock::time_point until) {
  asio::steady_timer window(co_await asio::this_coro::executor);
  window.expires_after(until - std::chrono::system_clock::now());
  co_await window.async_wait(asio::use_awaitable);
  if (auto failed = enter("removed_containers")) co_return *failed;
  std::vector<std::string> out;
  for (const auto& removal : removals) {
    if (removal.at < since || removal.at > until) continue;
    bool labelled = std::all_of(labels.begin(), labels.end(), [&](const auto& label) {
      auto found = removal.container.labels.find(label.first);
      return found != removal.container.labels.end() && found->second == label.second;
    });
    if (labelled) out.push_back(removal.container.name);
  }
  co_return out;
}

// ---------------------------------------------------------------- FakeIpam

std::optional<Error> FakeIpam::enter(const std::string& call) {
  if (auto planted = faults.enter(call)) return planted;
  if (down) return unavailable("ipam_unavailable", "the IPAM at 10.99.0.2:8000 does not answer");
  return std::nullopt;
}

void FakeIpam::add_network(const std::string& name, const std::string& subnet, uint32_t vni) {
  networks[name] = {name, subnet, vni, "", "", 254, 0, 254};
}

proto::Endpoint& FakeIpam::hold(const std::string& name, const std::string& host, const std::string& mac,
                                const std::string& network) {
  Ipv4 base = Cidr::parse(networks.at(network).subnet)->network();
  proto::Endpoint& endpoint = names[name];
  endpoint = {name, Ipv4(base.value() + next_ip_++).to_string(), host, mac, network};
  log_endpoint(name);
  return endpoint;
}

void FakeIpam::add_host(const std::string& host_id, const std::string& underlay, bool alive) {
  std::erase_if(hosts, [&](const proto::Host& host) { return host.host_id == host_id; });
  hosts.push_back({host_id, underlay, "http://" + underlay + ":8001", alive});
  log_host(hosts.back(), proto::Op::kPut);
}

void FakeIpam::drop_host(const std::string& host_id) {
  std::erase_if(hosts, [&](const proto::Host& host) { return host.host_id == host_id; });
  log_host({host_id, "", "", false}, proto::Op::kDelete);
}

void FakeIpam::log_host(const proto::Host& host, proto::Op op) {
  log.push_back({revision() + 1, op, proto::Kind::kHost, host, {}});
}

void FakeIpam::log_endpoint(const std::string& name) {
  auto found = names.find(name);
  proto::Change change{revision() + 1, proto::Op::kPut, proto::Kind::kEndpoint, {}, {name, "", "", ""}};
  if (found == names.end()) {
    change.op = proto::Op::kDelete;
  } else {
    change.endpoint = found->second;
  }
  log.push_back(change);
}

asio::awaitable<Result<std::string>> FakeIpam::register_host(const proto::HostRegistration& host) {
  if (auto failed = enter("register_host")) co_return *failed;
  add_host(host.host_id, host.underlay_ip);
  co_return subnet;
}

asio::awaitable<Status> FakeIpam::heartbeat(const std::string& host_id) {
  if (auto failed = enter("heartbeat")) co_return *failed;
  for (const auto& host : hosts) {
    if (host.host_id == host_id) co_return Ok{};
  }
  co_return not_found("unknown_host", "no host " + host_id);
}

asio::awaitable<Result<proto::Reservation>> FakeIpam::allocate(const proto::AllocateRequest& request) {
  if (auto failed = enter("allocate")) co_return *failed;
  const std::string& name = request.container_name;
  const std::string& host_id = request.host_id;
  std::string ip_address = request.ip_address ? request.ip_address->to_string() : "";
  if (auto gate = allocate_gate) co_await gate->async_wait(asio::as_tuple(asio::use_awaitable));
  auto found = names.find(name);
  if (found != names.end()) {
    if (found->second.host_id != host_id) {
      co_return conflict("name_conflict", "'" + name + "' holds an address on " + found->second.host_id);
    }
    co_return proto::Reservation{found->second, false};
  }
  if (!networks.count(request.network)) co_return not_found("unknown_network", "no network " + request.network);
  if (ip_address.empty()) co_return proto::Reservation{hold(name, host_id, "", request.network), true};
  for (const auto& [other, endpoint] : names) {
    if (endpoint.ip_address == ip_address) co_return conflict("ip_taken", ip_address + " is held by " + other);
  }
  names[name] = {name, ip_address, host_id, "", request.network};
  log_endpoint(name);
  co_return proto::Reservation{names[name], true};
}

asio::awaitable<Status> FakeIpam::release(const std::string& name, const std::string& host_id) {
  const std::string any_mac;  // outlives the call: release_held is a coroutine that keeps references
  co_return co_await release_held(name, host_id, any_mac);
}

asio::awaitable<Status> FakeIpam::release_held(const std::string& name, const std::string& host_id,
                                               const std::string& mac) {
  if (auto failed = enter("release")) co_return *failed;
  auto found = names.find(name);
  if (found == names.end()) co_return not_found("unknown_container", "no container " + name);
  if (found->second.host_id != host_id) {
    co_return conflict("host_mismatch", "'" + name + "' belongs to " + found->second.host_id);
  }
  if (!mac.empty() && found->second.mac_address != mac) {
    co_return conflict("mac_mismatch", "'" + name + "' is held with MAC " + found->second.mac_address);
  }
  names.erase(found);
  log_endpoint(name);
  co_return Ok{};
}

asio::awaitable<Result<proto::Endpoint>> FakeIpam::rename(const std::string& name,
                                                          const proto::RenameRequest& request) {
  if (auto failed = enter("rename")) co_return *failed;
  auto found = names.find(name);
  if (found == names.end()) co_return not_found("unknown_container", "no container " + name);
  if (found->second.host_id != request.host_id) {
    co_return conflict("host_mismatch", "'" + name + "' belongs to " + found->second.host_id);
  }
  if (names.count(request.container_name)) {
    co_return conflict("name_conflict", "'" + request.container_name + "' holds an address");
  }
  proto::Endpoint moved = found->second;
  moved.container_name = request.container_name;
  names.erase(found);
  log_endpoint(name);
  names[moved.container_name] = moved;
  log_endpoint(moved.container_name);
  after_rename();
  co_return moved;
}

asio::awaitable<Status> FakeIpam::record_endpoint(const std::string& name, const proto::EndpointRecord& record) {
  if (auto failed = enter("record_endpoint")) co_return *failed;
  const std::string& host_id = record.host_id;
  const std::string& mac = record.mac_address;
  auto found = names.find(name);
  if (found == names.end()) co_return not_found("unknown_container", "no container " + name);
  if (found->second.host_id != host_id) {
    co_return conflict("host_mismatch", "'" + name + "' belongs to " + found->second.host_id);
  }
  found->second.mac_address = mac;
  log_endpoint(name);
  co_return Ok{};
}

asio::awaitable<Result<std::vector<proto::Endpoint>>> FakeIpam::containers(const std::string& host_id) {
  if (auto failed = enter("containers")) co_return *failed;
  std::vector<proto::Endpoint> out;
  for (const auto& [name, endpoint] : names) {
    if (endpoint.host_id == host_id) out.push_back(endpoint);
  }
  co_return out;
}

asio::awaitable<Result<proto::Endpoint>> FakeIpam::container(const std::string& name) {
  if (auto failed = enter("container")) co_return *failed;
  auto found = names.find(name);
  if (found == names.end()) co_return not_found("unknown_container", "container '" + name + "' holds no address");
  co_return found->second;
}

asio::awaitable<Result<proto::NetworkStatus>> FakeIpam::network(const std::string& name) {
  if (auto failed = enter("network")) co_return *failed;
  auto found = networks.find(name);
  if (found == networks.end()) co_return not_found("unknown_network", "network '" + name + "' does not exist");
  co_return found->second;
}

asio::awaitable<Result<proto::NetworkStatus>> FakeIpam::create_network(const proto::NetworkRequest& request) {
  if (auto failed = enter("create_network")) co_return *failed;
  created_networks.push_back(request);
  if (!networks.count(request.name)) add_network(request.name, request.subnet, request.vni.value_or(4097));
  co_return networks.at(request.name);
}

asio::awaitable<Result<proto::Update>> FakeIpam::watch_peers(std::optional<uint64_t> since,
                                                            std::chrono::milliseconds) {
  if (auto failed = enter("watch_peers")) co_return *failed;
  proto::Update out;
  out.revision = revision();
  if (since && *since <= revision()) {
    out.changes.assign(log.begin() + static_cast<std::ptrdiff_t>(*since), log.end());
    co_return out;
  }
  out.full = true;
  out.reset = since.has_value();
  out.snapshot = {revision(), hosts, {}};
  for (const auto& [name, endpoint] : names) out.snapshot.endpoints.push_back(endpoint);
  co_return out;
}

// ---------------------------------------------------------------- FakeDataplane

Status FakeDataplane::isolate(const std::vector<IsolatedNetwork>& networks) {
  if (auto failed = faults.enter("isolate")) return *failed;
  isolated = networks;
  return Ok{};
}

namespace {

Error unknown_device(const std::string& device) {
  return not_found("unknown_device", "no device " + device);
}

}  // namespace

Result<UnderlayInfo> FakeDataplane::underlay(const std::string& device) {
  if (auto failed = faults.enter("underlay")) return *failed;
  auto found = underlays.find(device);
  if (found == underlays.end()) return unknown_device(device);
  return found->second;
}

Status FakeDataplane::ensure_vxlan(const VxlanSpec& spec) {
  if (auto failed = faults.enter("ensure_vxlan")) return *failed;
  vxlans[spec.device] = {true, true, spec.bridge, spec.vni, spec.mtu};
  fdbs[spec.device];
  return Ok{};
}

Result<VxlanState> FakeDataplane::vxlan_state(const std::string& device) {
  if (auto failed = faults.enter("vxlan_state")) return *failed;
  auto found = vxlans.find(device);
  return found == vxlans.end() ? VxlanState{} : found->second;
}

Result<std::vector<FdbEntry>> FakeDataplane::fdb(const std::string& device) {
  if (auto failed = faults.enter("fdb")) return *failed;
  if (!vxlans.count(device)) return unknown_device(device);
  return fdbs[device];
}

Status FakeDataplane::add_fdb(const std::string& device, const FdbEntry& entry) {
  if (auto failed = faults.enter("add_fdb")) return *failed;
  if (!vxlans.count(device)) return unknown_device(device);
  auto& entries = fdbs[device];
  // The kernel's rule: flood entries are appended per destination, a MAC entry replaces its MAC's.
  if (entry.mac == kFloodMac) {
    if (std::find(entries.begin(), entries.end(), entry) == entries.end()) entries.push_back(entry);
  } else {
    std::erase_if(entries, [&](const FdbEntry& e) { return e.mac == entry.mac; });
    entries.push_back(entry);
  }
  return Ok{};
}

Status FakeDataplane::remove_fdb(const std::string& device, const FdbEntry& entry) {
  if (auto failed = faults.enter("remove_fdb")) return *failed;
  if (!vxlans.count(device)) return unknown_device(device);
  std::erase(fdbs[device], entry);
  return Ok{};
}

Result<std::vector<NeighbourEntry>> FakeDataplane::neighbours(const std::string& device) {
  if (auto failed = faults.enter("neighbours")) return *failed;
  if (!vxlans.count(device)) return unknown_device(device);
  std::vector<NeighbourEntry> out;
  for (const auto& [address, mac] : neighbour_tables[device]) out.push_back({address, mac});
  return out;
}

Status FakeDataplane::add_neighbour(const std::string& device, const NeighbourEntry& entry) {
  if (auto failed = faults.enter("add_neighbour")) return *failed;
  if (!vxlans.count(device)) return unknown_device(device);
  neighbour_tables[device][entry.ip] = entry.mac;
  return Ok{};
}

Status FakeDataplane::remove_neighbour(const std::string& device, const NeighbourEntry& entry) {
  if (auto failed = faults.enter("remove_neighbour")) return *failed;
  neighbour_tables[device].erase(entry.ip);
  return Ok{};
}

Status FakeDataplane::announce(const std::string& bridge, const NeighbourEntry& entry) {
  if (auto failed = faults.enter("announce")) return *failed;
  announced.emplace_back(bridge, entry);
  return Ok{};
}


// ---------------------------------------------------------------- FakeProber

asio::awaitable<Result<ProbeReport>> FakeProber::probe(int pid, Ipv4 target, ProbeOptions options) {
  checks.push_back({pid, target, options});
  if (auto failed = faults.enter("probe")) co_return *failed;
  ProbeReport report{options.count, {}};
  if (!unreachable.count(target)) report.rtt_ms.assign(options.count, kRttMs);
  co_return report;
}

// ---------------------------------------------------------------- TestHost

namespace {

// host1, complete before anything that reads it is made.
AgentIdentity test_identity() {
  AgentIdentity self;
  self.host_id = "host1";
  self.agent_url = "http://10.99.0.11:8001";
  self.underlay_device = "eth0";
  self.underlay_ip = ip("10.99.0.11");
  return self;
}

}  // namespace

TestHost::TestHost(ReconcilerOptions options)
    : self(test_identity()),
      networks(self, ipam, runtime, dataplane),
      service(self, ipam, runtime, networks, claims, [this](const std::string& name) { return attached_here(name); }),
      reconciler(self, ipam, dataplane, runtime, networks, claims, options) {
  dataplane.underlays[self.underlay_device] = {{self.underlay_ip}, 1500, 2};
  ipam.add_host(self.host_id, self.underlay_ip.to_string());
  std::string gateway = ipam.hold(self.gateway_name(), self.host_id).ip_address;
  runtime.networks[self.network] = {"net-0",          self.network, "bridge", ipam.subnet, gateway,
                                    self.bridge,      self.overlay_mtu(), 0,  {{kManagedLabel, "true"}}};
  dataplane.vxlans[self.vxlan_device] = {true, true, self.bridge, self.vni, self.overlay_mtu()};
  dataplane.fdbs[self.vxlan_device];
  networks.record({self.default_devices(), *Cidr::parse(ipam.subnet), gateway});
}

}  // namespace vx::agent::fakes
