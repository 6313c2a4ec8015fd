// Every Redis key the IPAM uses, in one place. The default network keeps the seed's key names, so
// the seed's troubleshooting commands (SCARD available_ips, HGETALL container_ips) keep working;
// keys the seed did not have start with "vxlan:".
#pragma once

namespace vx::keys {

inline constexpr const char* kAvailable = "available_ips";         // set of free addresses
inline constexpr const char* kAllocated = "allocated_ips";         // set of handed-out addresses
inline constexpr const char* kContainerIps = "container_ips";      // hash name -> address
inline constexpr const char* kContainerHosts = "container_hosts";  // hash name -> host id
inline constexpr const char* kIpContainers = "ip_containers";      // hash address -> name
inline constexpr const char* kPool = "vxlan:pool";                 // hash subnet, first, last, total
inline constexpr const char* kPoolReserved = "vxlan:pool:reserved";  // set of reserved addresses

}  // namespace vx::keys
