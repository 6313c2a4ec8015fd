#include "agent/metrics.h"

#include <algorithm>

namespace vx::agent {

namespace asio = boost::asio;

AgentMetrics::AgentMetrics(Metrics& metrics, MetricSources sources)
    : metrics_(metrics),
      sources_(sources),
      containers_(metrics.family(prometheus::BuildGauge(), "vxlan_agent_containers",
                                 "Containers Docker runs on each cluster network on this host")),
      attachments_(metrics.family(prometheus::BuildGauge(), "vxlan_agent_cni_attachments",
                                  "Namespaces attached to each cluster network through the CNI plugin")),
      entries_(metrics.family(prometheus::BuildGauge(), "vxlan_agent_fdb_entries",
                              "Entries of each network's VXLAN device: flood, unicast and neighbour")),
      peers_(metrics.family(prometheus::BuildGauge(), "vxlan_agent_peers", "The other hosts, alive or quiet")),
      create_(metrics.family(prometheus::BuildHistogram(), "vxlan_agent_create_duration_seconds",
                             "How long creating a container took")
                  .Add({}, duration_buckets())),
      sync_(metrics.family(prometheus::BuildHistogram(), "vxlan_agent_sync_duration_seconds",
                           "How long bringing the kernel in line with the feed took")
                .Add({}, duration_buckets())),
      sync_errors_(metrics.family(prometheus::BuildCounter(), "vxlan_agent_sync_errors_total",
                                  "Syncs with the feed that failed")
                       .Add({})),
      watch_lag_(metrics.family(prometheus::BuildGauge(), "vxlan_agent_watch_lag_seconds",
                                "Seconds since the change feed last answered")
                     .Add({})),
      dns_(metrics.family(prometheus::BuildCounter(), "vxlan_agent_dns_queries_total",
                          "Queries to the containers' name server, by what they got")) {}

void AgentMetrics::time_requests(Router& router) {
  metrics_.time_requests(router, "vxlan_agent_http_request_duration_seconds",
                         "How long the agent took to answer, by route pattern and status code");
}

void AgentMetrics::created(double seconds) { create_.Observe(seconds); }

void AgentMetrics::synced(double seconds, bool ok) {
  sync_.Observe(seconds);
  if (!ok) sync_errors_.Increment();
}

asio::awaitable<HttpResponse> AgentMetrics::scrape() {
  co_await refresh();
  co_return metrics_.answer();
}

asio::awaitable<void> AgentMetrics::refresh() {
  std::map<std::string, double> running, attached;
  for (const auto& [network, setup] : sources_.networks.all()) running[network] = attached[network] = 0;
  if (auto listed = co_await sources_.containers.list()) {
    for (const auto& container : *listed) running[container.network] += container.status == "running";
    for (const auto& [network, count] : running) containers_.Add({{"network", network}}).Set(count);
  }
  if (auto cni = sources_.cni.count_by_network()) {
    for (const auto& [network, count] : *cni) attached[network] = static_cast<double>(count);
    for (const auto& [network, count] : attached) attachments_.Add({{"network", network}}).Set(count);
  }
  count_entries();
  const std::string& self = sources_.self.host_id;
  peers_.Add({{"state", "alive"}}).Set(static_cast<double>(sources_.reconciler.model().peers(true, self)));
  peers_.Add({{"state", "quiet"}}).Set(static_cast<double>(sources_.reconciler.model().peers(false, self)));
  auto answered = sources_.reconciler.state().last_answer;
  if (answered != std::chrono::steady_clock::time_point{}) {
    watch_lag_.Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - answered).count());
  }
  count_dns();
}

void AgentMetrics::count_entries() {
  for (const auto& [network, setup] : sources_.networks.all()) {
    const std::string& device = setup.devices.vxlan_device;
    auto fdb = sources_.dataplane.fdb(device);
    auto neighbours = sources_.dataplane.neighbours(device);
    if (!fdb || !neighbours) continue;
    auto floods = std::count_if(fdb->begin(), fdb->end(), [](const FdbEntry& entry) { return entry.mac == kFloodMac; });
    entries_.Add({{"network", network}, {"kind", "flood"}}).Set(static_cast<double>(floods));
    entries_.Add({{"network", network}, {"kind", "unicast"}}).Set(static_cast<double>(fdb->size() - floods));
    entries_.Add({{"network", network}, {"kind", "neighbour"}}).Set(static_cast<double>(neighbours->size()));
  }
}

// The name server counts since it started; Prometheus's counters only go up by what is new.
void AgentMetrics::count_dns() {
  const dns::Counters& now = sources_.names.counters();
  auto add = [this](const char* result, uint64_t current, uint64_t& seen) {
    dns_.Add({{"result", result}}).Increment(static_cast<double>(current - std::min(seen, current)));
    seen = current;
  };
  add("answered", now.answered, dns_seen_.answered);
  add("nodata", now.nodata, dns_seen_.nodata);
  add("nxdomain", now.nxdomain, dns_seen_.nxdomain);
  add("forwarded", now.forwarded, dns_seen_.forwarded);
  add("servfail", now.servfail, dns_seen_.servfail);
  add("refused", now.refused, dns_seen_.refused);
  add("dropped", now.dropped, dns_seen_.dropped);
}

}  // namespace vx::agent
