#include "agent/peer_model.h"

#include <algorithm>

namespace vx::agent {

void PeerModel::replace(const proto::Snapshot& snapshot) {
  hosts_.clear();
  endpoints_.clear();
  names_by_host_.clear();
  for (const auto& host : snapshot.hosts) hosts_[host.host_id] = host;
  for (const auto& endpoint : snapshot.endpoints) {
    endpoints_[endpoint.container_name] = endpoint;
    names_by_host_[endpoint.host_id].insert(endpoint.container_name);
  }
  wanted_.clear();
  for (const auto& [id, host] : hosts_) {
    for (const auto& entry : entries_of_host(id)) ++wanted_[entry];
  }
}

FdbPlan PeerModel::apply(const proto::Change& change) {
  std::vector<FdbEntry> before = affected_by(change);
  if (change.kind == proto::Kind::kHost) {
    if (change.op == proto::Op::kPut) {
      hosts_[change.host.host_id] = change.host;
    } else {
      hosts_.erase(change.host.host_id);
    }
  } else {
    erase_endpoint(change.endpoint.container_name);
    if (change.op == proto::Op::kPut) {
      endpoints_[change.endpoint.container_name] = change.endpoint;
      names_by_host_[change.endpoint.host_id].insert(change.endpoint.container_name);
    }
  }
  std::map<FdbEntry, int> delta;
  for (const auto& entry : before) --delta[entry];
  for (const auto& entry : affected_by(change)) ++delta[entry];
  FdbPlan plan;
  for (const auto& [entry, by] : delta) {
    if (by == 0) continue;
    int& wanted = wanted_[entry];
    bool was = wanted > 0;
    wanted += by;
    if (was && wanted <= 0) plan.remove.push_back(entry);
    if (!was && wanted > 0) plan.add.push_back(entry);
    if (wanted <= 0) wanted_.erase(entry);
  }
  return plan;
}

void PeerModel::erase_endpoint(const std::string& name) {
  auto found = endpoints_.find(name);
  if (found == endpoints_.end()) return;
  auto names = names_by_host_.find(found->second.host_id);
  if (names != names_by_host_.end()) {
    names->second.erase(name);
    if (names->second.empty()) names_by_host_.erase(names);
  }
  endpoints_.erase(found);
}

// The entries one change can touch: all of a host's (its flood entry, and its endpoints' MACs that
// point at its address), or one endpoint's.
std::vector<FdbEntry> PeerModel::affected_by(const proto::Change& change) const {
  if (change.kind == proto::Kind::kHost) return entries_of_host(change.host.host_id);
  return entries_of_endpoint(change.endpoint.container_name);
}

std::vector<FdbEntry> PeerModel::entries_of_host(const std::string& host_id) const {
  std::vector<FdbEntry> out;
  auto host = hosts_.find(host_id);
  if (host == hosts_.end() || host_id == self_) return out;
  auto underlay = Ipv4::parse(host->second.underlay_ip);
  if (!underlay) return out;
  if (host->second.alive) out.push_back({kFloodMac, *underlay});
  auto names = names_by_host_.find(host_id);
  if (names == names_by_host_.end()) return out;
  for (const auto& name : names->second) {
    const auto& mac = endpoints_.at(name).mac_address;
    if (!mac.empty()) out.push_back({mac, *underlay});
  }
  return out;
}

std::vector<FdbEntry> PeerModel::entries_of_endpoint(const std::string& name) const {
  auto endpoint = endpoints_.find(name);
  if (endpoint == endpoints_.end() || endpoint->second.mac_address.empty()) return {};
  auto host = hosts_.find(endpoint->second.host_id);
  if (host == hosts_.end() || host->first == self_) return {};
  auto underlay = Ipv4::parse(host->second.underlay_ip);
  if (!underlay) return {};
  return {{endpoint->second.mac_address, *underlay}};
}

std::vector<FdbEntry> PeerModel::desired() const {
  std::vector<FdbEntry> out;
  out.reserve(wanted_.size());
  for (const auto& [entry, count] : wanted_) out.push_back(entry);
  return out;
}

}  // namespace vx::agent
