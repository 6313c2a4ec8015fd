// The agent's Prometheus metrics (common/metrics.h), served on GET /metrics:
//   vxlan_agent_containers{network}        containers Docker runs on each cluster network here (the
//                                          agent's and Docker's own), asked of Docker at the scrape
//   vxlan_agent_cni_attachments{network}   namespaces attached through the CNI plugin (the kernel's)
//   vxlan_agent_fdb_entries{network,kind}  the VXLAN devices' entries, read from the kernel:
//                                          kind "flood" (one per peer), "unicast" (one per remote
//                                          MAC), "neighbour" (the proxy's ARP answers)
//   vxlan_agent_peers{state}               the other hosts in the watched view, alive or quiet
//   vxlan_agent_create_duration_seconds    histogram of container creates
//   vxlan_agent_sync_duration_seconds      histogram of bringing the kernel in line with an update,
//                                          a snapshot or a full diff (never the feed's wait)
//   vxlan_agent_sync_errors_total          syncs that failed (the IPAM, or the kernel, refused)
//   vxlan_agent_watch_lag_seconds          since the change feed last answered (a long-poll
//                                          answers within its wait, 25 s: more means trouble)
//   vxlan_agent_dns_queries_total{result}  the containers' name server: answered, nodata, nxdomain,
//                                          forwarded, servfail, refused, dropped
//   vxlan_agent_http_request_duration_seconds{route,code}
// The gauges are read at each scrape, from Docker and the kernel; nothing asks the IPAM.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <map>
#include <string>

#include "agent/cni/cni_service.h"
#include "agent/container_service.h"
#include "agent/dataplane.h"
#include "agent/dns/server.h"
#include "agent/host_networks.h"
#include "agent/reconciler.h"
#include "common/metrics.h"

namespace vx::agent {

// Where the scrape reads its figures; each must outlive the metrics.
struct MetricSources {
  const AgentIdentity& self;
  ContainerService& containers;
  CniService& cni;
  HostNetworks& networks;
  Dataplane& dataplane;
  const Reconciler& reconciler;
  const dns::Server& names;
};

class AgentMetrics {
 public:
  AgentMetrics(Metrics& metrics, MetricSources sources);

  void time_requests(Router& router);
  void created(double seconds);
  void synced(double seconds, bool ok);
  // GET /metrics: the gauges read now, then everything in Prometheus's text format. A source that
  // does not answer (Docker) leaves its gauges as they were.
  boost::asio::awaitable<HttpResponse> scrape();

 private:
  boost::asio::awaitable<void> refresh();
  void count_entries();
  void count_dns();

  Metrics& metrics_;
  MetricSources sources_;
  prometheus::Family<prometheus::Gauge>& containers_;
  prometheus::Family<prometheus::Gauge>& attachments_;
  prometheus::Family<prometheus::Gauge>& entries_;
  prometheus::Family<prometheus::Gauge>& peers_;
  prometheus::Histogram& create_;
  prometheus::Histogram& sync_;
  prometheus::Counter& sync_errors_;
  prometheus::Gauge& watch_lag_;
  prometheus::Family<prometheus::Counter>& dns_;
  dns::Counters dns_seen_;  // what the counters said at the last scrape
};

}  // namespace vx::agent
