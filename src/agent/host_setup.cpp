#include "agent/host_setup.h"

#include <spdlog/spdlog.h>

namespace vx::agent {

namespace asio = boost::asio;

namespace {

// Why an existing network does not fit, or empty when it does.
std::string mismatch(const NetworkInfo& network, const NetworkSpec& spec) {
  if (network.driver != "bridge") return "driver " + network.driver;
  if (network.subnet != spec.subnet.to_string()) return "subnet " + network.subnet;
  if (network.gateway != spec.gateway.to_string()) return "gateway " + network.gateway;
  if (network.bridge_name != spec.bridge_name) return "bridge '" + network.bridge_name + "'";
  if (network.mtu != spec.mtu) return "MTU " + std::to_string(network.mtu);
  if (network.ipam_driver != spec.ipam_driver) {
    return "IPAM driver '" + (network.ipam_driver.empty() ? std::string("default") : network.ipam_driver) + "'";
  }
  return "";
}

asio::awaitable<Status> ensure_network(Runtime& runtime, const NetworkSpec& spec) {
  auto existing = co_await runtime.inspect_network(spec.name);
  if (!existing) co_return existing.error();
  if (existing->has_value()) {
    std::string why = mismatch(**existing, spec);
    if (why.empty()) co_return Ok{};
    auto managed = (*existing)->labels.find(kManagedLabel);
    if (managed == (*existing)->labels.end() || managed->second != "true") {
      co_return conflict("network_not_ours", "Docker network '" + spec.name + "' exists with " + why +
                                                 " and was not made by vxlan-agent: remove or rename it");
    }
    if ((*existing)->containers > 0) {
      co_return conflict("network_mismatch", "Docker network '" + spec.name + "' has " + why + " where " +
                                                 spec.subnet.to_string() + " with gateway " +
                                                 spec.gateway.to_string() + ", bridge '" + spec.bridge_name +
                                                 "' and MTU " + std::to_string(spec.mtu) +
                                                 " is wanted, and containers use it; remove them first");
    }
    spdlog::warn("recreating Docker network {}: it has {}", spec.name, why);
    if (Status removed = co_await runtime.remove_network(spec.name); !removed) co_return removed.error();
  }
  auto created = co_await runtime.create_network(spec);
  if (!created) co_return created.error();
  spdlog::info("created Docker network {} ({}, gateway {}, bridge {}, MTU {})", spec.name,
               spec.subnet.to_string(), spec.gateway.to_string(), spec.bridge_name, spec.mtu);
  co_return Ok{};
}

}  // namespace

namespace {

std::string addresses_of(const UnderlayInfo& underlay) {
  std::string out;
  for (Ipv4 ip : underlay.addresses) out += (out.empty() ? "" : ", ") + ip.to_string();
  return out;
}

}  // namespace

Result<AgentIdentity> identify_host(const AgentConfig& config, Dataplane& dataplane) {
  auto underlay = dataplane.underlay(config.underlay_device);
  if (!underlay) return underlay.error();
  if (config.underlay_ip && !underlay->holds(*config.underlay_ip)) {
    return bad_input("underlay_ip_not_on_device", "--underlay-ip " + config.underlay_ip->to_string() +
                                                      " is not an address of " + config.underlay_device + " (it has " +
                                                      addresses_of(*underlay) + "): peers could not reach this host");
  }
  AgentIdentity self;
  self.host_id = config.host_id;
  self.underlay_device = config.underlay_device;
  self.underlay_ip = config.underlay_ip.value_or(underlay->addresses.front());
  self.underlay_mtu = underlay->mtu;
  self.ipam_plugin = config.docker_plugin;
  self.agent_url = config.advertise_url.empty()
                       ? "http://" + self.underlay_ip.to_string() + ":" + std::to_string(config.listen.port)
                       : config.advertise_url;
  self.network = config.network;
  self.bridge = config.bridge;
  self.vni = config.vni;
  self.vxlan_port = config.vxlan_port;
  return self;
}

std::string underlay_problem(const AgentIdentity& self, Dataplane& dataplane) {
  auto underlay = dataplane.underlay(self.underlay_device);
  if (!underlay) return underlay.error().detail;
  if (underlay->holds(self.underlay_ip)) return "";
  return self.underlay_ip.to_string() + " is no longer an address of " + self.underlay_device + " (it has " +
         addresses_of(*underlay) + ")";
}

bool vxlan_is_set_up(const NetworkDevices& devices, Dataplane& dataplane) {
  auto device = dataplane.vxlan_state(devices.vxlan_device);
  return device && device->exists && device->up && device->master == devices.bridge;
}

asio::awaitable<Result<std::string>> register_host(const AgentIdentity& self, ipam::IpamClient& ipam) {
  proto::HostRegistration host{self.host_id, self.underlay_ip.to_string(), self.agent_url};
  co_return co_await ipam.register_host(host);
}

asio::awaitable<Result<NetworkSetup>> set_up_network(const AgentIdentity& self, ipam::IpamClient& ipam,
                                                     Runtime& runtime, Dataplane& dataplane,
                                                     const NetworkDevices& devices, const Cidr& subnet) {
  proto::AllocateRequest request{self.gateway_name(devices.network), self.host_id, std::nullopt, devices.network};
  auto gateway = co_await ipam.allocate(request);
  if (!gateway) co_return gateway.error();
  const std::string& gateway_text = gateway->endpoint.ip_address;
  auto gateway_ip = Ipv4::parse(gateway_text);
  if (!gateway_ip) co_return gateway_ip.error();

  Labels labels{{kManagedLabel, "true"}};
  if (devices.network != proto::kDefaultNetwork) labels[kNetworkLabel] = devices.network;
  NetworkSpec network{devices.docker_network, subnet, *gateway_ip, devices.bridge, self.overlay_mtu(), labels,
                      self.ipam_plugin};
  if (Status ready = co_await ensure_network(runtime, network); !ready) co_return ready.error();

  VxlanSpec vxlan{devices.vxlan_device,  devices.vni,        self.vxlan_port, self.underlay_ip,
                  self.underlay_device, self.overlay_mtu(), devices.bridge};
  if (Status ready = dataplane.ensure_vxlan(vxlan); !ready) co_return ready.error();
  spdlog::info("network {} is set up on host {}: {}, gateway {}, {} VNI {} port {} on {}, MTU {}", devices.network,
               self.host_id, subnet.to_string(), gateway_text, devices.vxlan_device, devices.vni, self.vxlan_port,
               devices.bridge, self.overlay_mtu());
  co_return NetworkSetup{devices, subnet, gateway_text};
}

asio::awaitable<Result<HostSetup>> set_up_host(const AgentIdentity& self, ipam::IpamClient& ipam, Runtime& runtime,
                                               Dataplane& dataplane) {
  auto subnet_text = co_await register_host(self, ipam);
  if (!subnet_text) co_return subnet_text.error();
  auto subnet = Cidr::parse(*subnet_text);
  if (!subnet) co_return subnet.error();
  auto network = co_await set_up_network(self, ipam, runtime, dataplane, self.default_devices(), *subnet);
  if (!network) co_return network.error();
  spdlog::info("host {} is set up: underlay {} on {}", self.host_id, self.underlay_ip.to_string(),
               self.underlay_device);
  co_return HostSetup{network->gateway, *subnet};
}

}  // namespace vx::agent
