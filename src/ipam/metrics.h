// The IPAM's Prometheus metrics (common/metrics.h), served on GET /metrics:
//   vxlan_ipam_pool_addresses{network,state="free"|"allocated"|"reserved"}  gauges
//   vxlan_ipam_allocations_total{network,result}, vxlan_ipam_releases_total{network}  counters
//   vxlan_ipam_http_request_duration_seconds{route,code}  histogram
//   vxlan_ipam_watchers, vxlan_ipam_hosts{state="alive"|"quiet"}, vxlan_ipam_redis_up,
//   vxlan_ipam_revision  gauges
// Counters move as requests are answered, by this replica (Prometheus sums the replicas). The
// gauges are read at each scrape: the hosts, watchers and revision from the view, the pools from
// the store's counts per network (allocated includes the hosts' gateways; reserved is what is
// neither allocated nor free: --reserve and quarantined addresses). No scrape walks a pool: the
// counts are O(1) per network in Redis. A Redis that does not answer is redis_up 0, and the pool
// gauges keep their last figures.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "common/metrics.h"
#include "ipam/store.h"
#include "ipam/view/cluster_view.h"

namespace vx::ipam {

class IpamMetrics {
 public:
  explicit IpamMetrics(Metrics& metrics);

  // `result`: "created", "existing", or the refusal's error code.
  void allocation(const std::string& network, const std::string& result);
  void release(const std::string& network);

  // Has `router` time its requests (vxlan_ipam_http_request_duration_seconds).
  void time_requests(Router& router);
  // GET /metrics: the gauges read now, then everything in Prometheus's text format.
  boost::asio::awaitable<HttpResponse> scrape(Store& store, const ClusterView& view);

 private:
  boost::asio::awaitable<void> refresh(Store& store, const ClusterView& view);

  Metrics& metrics_;
  prometheus::Family<prometheus::Gauge>& pool_;
  prometheus::Family<prometheus::Counter>& allocations_;
  prometheus::Family<prometheus::Counter>& releases_;
  prometheus::Family<prometheus::Gauge>& hosts_;
  prometheus::Gauge& watchers_;
  prometheus::Gauge& redis_up_;
  prometheus::Gauge& revision_;
};

}  // namespace vx::ipam
