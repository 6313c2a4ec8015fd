// Who and where this agent is: settled once at start-up from flags and the kernel, then shared
// read-only by every part of the agent.
#pragma once

#include <string>

#include "common/ipv4.h"
#include "proto/names.h"

namespace vx::agent {

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

  // VXLAN adds 50 bytes (outer IPv4, UDP, VXLAN and Ethernet headers) to every frame.
  int overlay_mtu() const { return underlay_mtu - 50; }
  // The registry name of this host's bridge address; never a container's.
  std::string gateway_name() const { return std::string(proto::kGatewayNamePrefix) + host_id; }
};

// Labels on every container the agent manages, so that it finds them again after a restart.
inline constexpr const char* kManagedLabel = "vxlan.managed";
inline constexpr const char* kHostLabel = "vxlan.host";

}  // namespace vx::agent
