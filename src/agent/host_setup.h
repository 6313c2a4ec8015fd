// Brings this host into the cluster, idempotently, on every start: registers it with the IPAM,
// reserves its own gateway address from the pool (two hosts never share one), makes sure the Docker
// network exists with that gateway, the overlay subnet, the fixed bridge name and the overlay MTU,
// and makes sure the VXLAN device exists, enslaved to that bridge. A network of the right name but
// the wrong shape is recreated when no container uses it, and is an error otherwise.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "agent/config.h"
#include "agent/dataplane.h"
#include "agent/identity.h"
#include "ipam/client/ipam_client.h"
#include "agent/runtime.h"

namespace vx::agent {

// This host as the flags and the kernel describe it: the underlay address is the device's first
// unless --underlay-ip names another of its addresses. An address that is on no device, or on
// another one, would black-hole every peer's traffic: it is kBadInput "underlay_ip_not_on_device".
Result<AgentIdentity> identify_host(const AgentConfig& config, Dataplane& dataplane);

// Why the underlay no longer carries this host's traffic (its address moved off the device, the
// device went away), or "" while it does: what the agent's health reports.
std::string underlay_problem(const AgentIdentity& self, Dataplane& dataplane);

struct HostSetup {
  std::string gateway;  // this host's bridge address
  Cidr overlay;         // the overlay's subnet, from the IPAM
};

// One network carried by this host: set_up_network() made its devices, with this gateway.
struct NetworkSetup {
  NetworkDevices devices;
  Cidr subnet;
  std::string gateway;
  proto::NetworkRequest shape = {};  // how to create it again, off the default network
};

// The default network, after registering the host.
boost::asio::awaitable<Result<HostSetup>> set_up_host(const AgentIdentity& self, ipam::IpamClient& ipam,
                                                            Runtime& runtime, Dataplane& dataplane);

// One network, as set_up_host() does the default one: this host's gateway on it reserved from its
// pool, its Docker network (labelled with the cluster network and VNI) and its VXLAN device.
boost::asio::awaitable<Result<NetworkSetup>> set_up_network(const AgentIdentity& self, ipam::IpamClient& ipam,
                                                              Runtime& runtime, Dataplane& dataplane,
                                                              const NetworkDevices& devices, const Cidr& subnet);

// Whether a network's VXLAN device is still there, up and enslaved to its bridge: what the agent's
// health reports and what the reconciler repairs.
bool vxlan_is_set_up(const NetworkDevices& devices, Dataplane& dataplane);

// Registers (again, after the IPAM lost the host) without touching Docker or the kernel; answers
// the overlay subnet.
boost::asio::awaitable<Result<std::string>> register_host(const AgentIdentity& self, ipam::IpamClient& ipam);

}  // namespace vx::agent
