#include "agent/fdb_plan.h"

#include <algorithm>
#include <iterator>
#include <map>

namespace vx {

std::vector<FdbEntry> desired_fdb(const Peers& peers, const std::string& self) {
  std::map<std::string, Ipv4> underlay;
  std::vector<FdbEntry> out;
  for (const auto& host : peers.hosts) {
    if (host.host_id == self) continue;
    underlay[host.host_id] = host.underlay;
    if (host.alive) out.push_back({kFloodMac, host.underlay});
  }
  for (const auto& endpoint : peers.endpoints) {
    auto host = underlay.find(endpoint.host_id);
    if (host == underlay.end() || endpoint.mac_address.empty()) continue;
    out.push_back({endpoint.mac_address, host->second});
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

FdbPlan plan_fdb(std::vector<FdbEntry> desired, std::vector<FdbEntry> current) {
  std::sort(desired.begin(), desired.end());
  std::sort(current.begin(), current.end());
  FdbPlan plan;
  std::set_difference(current.begin(), current.end(), desired.begin(), desired.end(),
                      std::back_inserter(plan.remove));
  std::set_difference(desired.begin(), desired.end(), current.begin(), current.end(),
                      std::back_inserter(plan.add));
  return plan;
}

}  // namespace vx
