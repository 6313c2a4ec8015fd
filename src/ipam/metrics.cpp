#include "ipam/metrics.h"

namespace vx::ipam {

namespace asio = boost::asio;

IpamMetrics::IpamMetrics(Metrics& metrics)
    : metrics_(metrics),
      pool_(metrics.family(prometheus::BuildGauge(), "vxlan_ipam_pool_addresses",
                   "Addresses of each network's pool by state (allocated includes the hosts' gateways)")),
      allocations_(metrics.family(prometheus::BuildCounter(), "vxlan_ipam_allocations_total",
                          "Allocations answered by this replica, by network and result")),
      releases_(metrics.family(prometheus::BuildCounter(), "vxlan_ipam_releases_total",
                       "Addresses released by this replica, by network")),
      hosts_(metrics.family(prometheus::BuildGauge(), "vxlan_ipam_hosts", "Registered hosts by liveness")),
      watchers_(metrics.family(prometheus::BuildGauge(), "vxlan_ipam_watchers",
                       "Long-polls of the change feed waiting on this replica")
                    .Add({})),
      redis_up_(metrics.family(prometheus::BuildGauge(), "vxlan_ipam_redis_up",
                       "1 when Redis answered this scrape's counts, else 0")
                    .Add({})),
      revision_(metrics.family(prometheus::BuildGauge(), "vxlan_ipam_revision",
                       "The change feed's revision in this replica's view")
                    .Add({})) {}

void IpamMetrics::time_requests(Router& router) {
  metrics_.time_requests(router, "vxlan_ipam_http_request_duration_seconds",
                         "How long the IPAM took to answer, by route pattern and status code");
}

asio::awaitable<HttpResponse> IpamMetrics::scrape(Store& store, const ClusterView& view) {
  co_await refresh(store, view);
  co_return metrics_.answer();
}

void IpamMetrics::allocation(const std::string& network, const std::string& result) {
  allocations_.Add({{"network", network}, {"result", result}}).Increment();
}

void IpamMetrics::release(const std::string& network) { releases_.Add({{"network", network}}).Increment(); }

asio::awaitable<void> IpamMetrics::refresh(Store& store, const ClusterView& view) {
  double alive = 0, quiet = 0;
  for (const auto& host : view.hosts()) (host.alive ? alive : quiet) += 1;
  hosts_.Add({{"state", "alive"}}).Set(alive);
  hosts_.Add({{"state", "quiet"}}).Set(quiet);
  watchers_.Set(static_cast<double>(view.watchers()));
  revision_.Set(static_cast<double>(view.revision()));
  auto networks = co_await store.networks("");
  redis_up_.Set(networks ? 1 : 0);
  if (!networks) co_return;
  for (const auto& network : *networks) {
    uint64_t counted = network.allocated + network.available;
    double reserved = network.total > counted ? static_cast<double>(network.total - counted) : 0;
    pool_.Add({{"network", network.name}, {"state", "free"}}).Set(static_cast<double>(network.available));
    pool_.Add({{"network", network.name}, {"state", "allocated"}}).Set(static_cast<double>(network.allocated));
    pool_.Add({{"network", network.name}, {"state", "reserved"}}).Set(reserved);
  }
}

}  // namespace vx::ipam
