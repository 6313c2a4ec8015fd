// The IPAM's HTTP API (the seed's endpoints and shapes) on top of a Store:
//   GET  /, /health          200 when the store answers and holds this pool, else 503
//   GET  /stats              total_ips, allocated_ips, available_ips, network_subnet
//   GET  /containers         [{container_name, ip_address, host_id}]
//   GET  /container/{name}   one of those, or 404
//   GET  /check/{name}       {exists, container_name, ip_address?, host_id?}
//   POST /allocate           {container_name, host_id, ip_address?}
//   POST /deallocate, /release  {container_name, host_id?}
//   POST /container/{name}/endpoint  {host_id, mac_address}: the agent records a container's MAC
//   POST /hosts              {host_id, underlay_ip, agent_url}: register, or register again
//   POST /hosts/{id}/heartbeat, DELETE /hosts/{id}, GET /hosts
//   GET  /peers              {hosts: [live hosts], endpoints: [with MACs]}, for the data planes
#pragma once

#include <memory>

#include "common/http_router.h"
#include "ipam/host_registry.h"
#include "ipam/pool.h"
#include "ipam/store.h"

namespace vx {

std::unique_ptr<Router> make_ipam_router(std::unique_ptr<Store> store,
                                         std::unique_ptr<HostRegistry> hosts, const PoolSpec& pool);

}  // namespace vx
