// The IPAM's HTTP API (the seed's endpoints and shapes) on top of a Store:
//   GET  /, /health          200 when the store answers and holds this pool, else 503
//   GET  /stats              total_ips, allocated_ips, available_ips, network_subnet
//   GET  /containers[?host_id=H]  [{container_name, ip_address, host_id, mac_address?}], from the view
//   GET  /container/{name}   one of those, or 404
//   GET  /check/{name}       {exists, container_name, ip_address?, host_id?}
//   POST /allocate           {container_name, host_id, ip_address?}
//   POST /deallocate, /release  {container_name, host_id?}
//   POST /container/{name}/endpoint  {host_id, mac_address}: the agent records a container's MAC
//   POST /hosts              {host_id, underlay_ip, agent_url}: register, or register again
//   POST /hosts/{id}/heartbeat, DELETE /hosts/{id}, GET /hosts (from the view)
//   GET  /metrics            Prometheus text (metrics.h), when the daemon has metrics
//   GET  /peers[?since=R&wait_ms=T]  the snapshot, or the changes after R (proto/peers.h), for the
//                            data planes: served from the view, held up to T ms for a change
// Listings wait until the view has caught up with Redis, so they show every write made before.
#pragma once

#include <memory>

#include "common/http_router.h"
#include "ipam/host_registry.h"
#include "ipam/metrics.h"
#include "ipam/pool.h"
#include "ipam/store.h"
#include "ipam/view/cluster_view.h"

namespace vx::ipam {

// `warning`: what /health adds under "warnings" (common/auth.h, open_api_warning), or "".
// `metrics`, shared by every worker's router: GET /metrics and the counts (metrics.h); none when
// null.
std::unique_ptr<Router> make_ipam_router(std::unique_ptr<Store> store, std::unique_ptr<HostRegistry> hosts,
                                         const PoolSpec& pool, ClusterView& view, std::string warning = {},
                                         IpamMetrics* metrics = nullptr);

}  // namespace vx::ipam
