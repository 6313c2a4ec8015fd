// The agent's HTTP API (port 8001; the seed's container service):
//   GET    /health                  200 when Docker and the IPAM answer, the host is set up, the
//                                   VXLAN device is up and the last sync worked; else 503 with reasons
//   POST   /create_container?container_name=NAME&image=IMAGE  (or the same as a JSON body)
//   GET    /containers              this host's containers on the cluster: managed ones, Docker's own
//                                   on cluster networks, and CNI attachments (image "cni")
//   GET    /container/{name}
//   DELETE /container/{name}
//   POST   /container/{name}/ping   {"target": NAME or IPv4, "count"?, "timeout_ms"?, "port"?}:
//                                   ICMP echoes or TCP connects sent from inside the container
//                                   (ping_check.h); 200 with the outcome, reachable or not
//   /cni/...                         the CNI plugin's calls (proto/cni.h)
//   GET    /metrics                 Prometheus text (metrics.h)
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agent/cni/cni_api.h"
#include "agent/container_service.h"
#include "agent/dataplane.h"
#include "agent/prober.h"
#include "agent/health_monitor.h"
#include "agent/metrics.h"
#include "agent/reconciler.h"
#include "common/http_router.h"

namespace vx::agent {

// Whether start-up set the host up; read by /health.
struct SetupState {
  bool done = false;
  std::string error;  // why not, while not done
  std::string gateway;
  std::optional<Cidr> overlay;  // the default network's subnet
};

struct AgentParts {
  const AgentIdentity& self;
  ContainerService& containers;
  HostNetworks& networks;
  Runtime& runtime;
  ipam::IpamClient& ipam;
  Dataplane& dataplane;
  Prober& prober;
  Reconciler& reconciler;
  const SetupState& setup;
  const Observed& observed;
  const std::string& warning;  // what /health adds under "warnings" (common/auth.h), or ""
  CniService* cni = nullptr;   // CNI attachments: their routes (cni/cni_api.h) and listing, when given
  AgentMetrics* metrics = nullptr;  // GET /metrics and the create timings (metrics.h), when given
};

std::unique_ptr<Router> make_agent_router(AgentParts parts);

}  // namespace vx::agent
