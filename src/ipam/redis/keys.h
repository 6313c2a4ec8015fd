// Every Redis key the IPAM uses, in one place. The default network keeps the seed's key names, so
// the seed's troubleshooting commands (SCARD available_ips, HGETALL container_ips) keep working;
// keys the seed did not have start with "vxlan:". Scripts name every key they touch in KEYS.
#pragma once

#include <string>
#include <string_view>

namespace vx::ipam::keys {

// The address registry (the seed's keys).
inline constexpr const char* kAvailable = "available_ips";         // set of free addresses
inline constexpr const char* kAllocated = "allocated_ips";         // set of handed-out addresses
inline constexpr const char* kContainerIps = "container_ips";      // hash name -> address
inline constexpr const char* kContainerHosts = "container_hosts";  // hash name -> host id
inline constexpr const char* kIpContainers = "ip_containers";      // hash address -> name

// The pool's configuration.
inline constexpr const char* kPool = "vxlan:pool";                    // hash subnet, first, last, total
inline constexpr const char* kPoolReserved = "vxlan:pool:reserved";   // set of reserved addresses

// The networks. Every network has a pool hash (subnet, first, last, total, vni, net_first,
// net_last), a set of reserved addresses, and the free and handed-out sets, under the keys of
// NetworkKeys; the default network's are the seed's keys above.
inline constexpr const char* kNetworks = "vxlan:networks";                       // hash name -> VNI
inline constexpr const char* kNetworkVnis = "vxlan:network_vnis";                // hash VNI -> name
inline constexpr const char* kContainerNetworks = "vxlan:container_networks";  // hash name -> network, off the default

struct NetworkKeys {
  std::string pool, reserved, available, allocated;
};
// The one naming rule: the seed's keys for the default network, "vxlan:net:NAME:pool" and so on
// for another.
NetworkKeys network_keys(std::string_view network);
// The same rule as a Lua function, network_keys(name), for the scripts that pick a network's keys
// from their arguments.
const std::string& lua_network_keys();

// Endpoints and hosts, for the agents' data planes.
inline constexpr const char* kContainerMacs = "vxlan:container_macs";  // hash name -> MAC
inline constexpr const char* kMacContainers = "vxlan:mac_containers";  // hash MAC -> name, so a MAC has one holder
inline constexpr const char* kHosts = "vxlan:hosts";                   // sorted set: host id by last heartbeat (ms)
inline constexpr const char* kHostUnderlay = "vxlan:host_underlay";    // hash host id -> underlay address
inline constexpr const char* kHostAgents = "vxlan:host_agents";        // hash host id -> agent URL
inline constexpr const char* kHostsAlive = "vxlan:hosts_alive";        // sorted set: the hosts last seen alive
inline constexpr const char* kHostInstances = "vxlan:host_instances";  // hash host id -> its agent's instance id

// The change log: every change to hosts and endpoints, in order (scripts.h).
inline constexpr const char* kRevision = "vxlan:revision";  // the last change's revision
inline constexpr const char* kChanges = "vxlan:changes";    // stream of changes, the latest 100,000 or so
inline constexpr const char* kLifetime = "vxlan:lifetime";  // run_id of the Redis process the revisions count in

}  // namespace vx::ipam::keys
