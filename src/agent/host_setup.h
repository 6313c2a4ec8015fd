// Brings this host into the cluster, idempotently, on every start: registers it with the IPAM,
// reserves its own gateway address from the pool (two hosts never share one), makes sure the Docker
// network exists with that gateway, the overlay subnet, the fixed bridge name and the overlay MTU,
// and makes sure the VXLAN device exists, enslaved to that bridge. A network of the right name but
// the wrong shape is recreated when no container uses it, and is an error otherwise.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "agent/dataplane.h"
#include "agent/identity.h"
#include "ipam/client/ipam_client.h"
#include "agent/runtime.h"

namespace vx::agent {

// Answers this host's gateway address.
boost::asio::awaitable<Result<std::string>> set_up_host(const AgentIdentity& self, ipam::IpamClient& ipam,
                                                            Runtime& runtime, Dataplane& dataplane);

// Whether the VXLAN device set_up_host() made is still there, up and enslaved to the bridge: what
// the agent's health reports and what the reconciler repairs.
bool vxlan_is_set_up(const AgentIdentity& self, Dataplane& dataplane);

// Registers (again, after the IPAM lost the host) without touching Docker or the kernel; answers
// the overlay subnet.
boost::asio::awaitable<Result<std::string>> register_host(const AgentIdentity& self, ipam::IpamClient& ipam);

}  // namespace vx::agent
