// Who and where this agent is: settled once at start-up from flags and the kernel, then shared
// read-only by every part of the agent.
#pragma once

#include <string>

#include "common/ipv4.h"
#include "proto/names.h"

namespace vx::agent {

// What carries one cluster network on a host: its Docker network, the bridge Docker makes for it,
// and the VXLAN device enslaved to that bridge.
struct NetworkDevices {
  std::string network;  // the cluster's name for it
  std::string docker_network;
  std::string bridge;
  std::string vxlan_device;
  uint32_t vni = 0;
};

struct AgentIdentity {
  std::string host_id;
  std::string instance_id;      // instance.h
  std::string agent_url;        // how others reach this agent's API
  std::string underlay_device;
  Ipv4 underlay_ip;
  int underlay_mtu = 1500;
  std::string network = "vxlan-net";
  std::string bridge = "br-vxlan";
  std::string vxlan_device = "vxlan0";
  uint32_t vni = 100;
  uint16_t vxlan_port = 4789;
  std::string ipam_plugin;  // the IPAM driver of the Docker networks this agent makes; "": Docker's own

  // VXLAN adds 50 bytes (outer IPv4, UDP, VXLAN and Ethernet headers) to every frame.
  int overlay_mtu() const { return underlay_mtu - 50; }
  // The registry name of this host's bridge address on a network; never a container's.
  std::string gateway_name(std::string_view on = proto::kDefaultNetwork) const {
    return proto::gateway_name(host_id, on);
  }
  // The default network keeps the names the flags give (the seed's); another is named after its
  // VNI, which the cluster keeps unique and which fits a device name's 15 characters.
  NetworkDevices devices_of(const std::string& cluster_network, uint32_t network_vni) const {
    if (cluster_network == proto::kDefaultNetwork) return {cluster_network, network, bridge, vxlan_device, vni};
    std::string id = std::to_string(network_vni);
    return {cluster_network, cluster_network, "br-vx" + id, "vxlan" + id, network_vni};
  }
  NetworkDevices default_devices() const { return devices_of(std::string(proto::kDefaultNetwork), vni); }
};

// Labels on every container the agent manages, so that it finds them again after a restart.
inline constexpr const char* kManagedLabel = "vxlan.managed";
inline constexpr const char* kHostLabel = "vxlan.host";
inline constexpr const char* kNetworkLabel = "vxlan.network";  // the cluster network, on containers and networks

}  // namespace vx::agent
