#include "agent/peer_model.h"

#include <algorithm>

#include "proto/names.h"

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

NetworkPlans PeerModel::apply(const proto::Change& change) {
  std::set<std::string> touched = hosts_touched_by(change);
  std::vector<NetworkEntry> before = entries_of_hosts(touched);
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
  std::map<NetworkEntry, int> delta;
  for (const auto& entry : before) --delta[entry];
  for (const auto& entry : entries_of_hosts(touched)) ++delta[entry];
  NetworkPlans plans;
  for (const auto& [entry, by] : delta) {
    if (by == 0) continue;
    int& wanted = wanted_[entry];
    bool was = wanted > 0;
    wanted += by;
    if (was && wanted <= 0) plans[entry.network].remove.push_back(entry.entry);
    if (!was && wanted > 0) plans[entry.network].add.push_back(entry.entry);
    if (wanted <= 0) wanted_.erase(entry);
  }
  return plans;
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

std::set<std::string> PeerModel::hosts_touched_by(const proto::Change& change) const {
  if (change.kind == proto::Kind::kHost) return {change.host.host_id};
  std::set<std::string> out{change.endpoint.host_id};
  if (auto held = endpoints_.find(change.endpoint.container_name); held != endpoints_.end()) {
    out.insert(held->second.host_id);
  }
  return out;
}

std::vector<PeerModel::NetworkEntry> PeerModel::entries_of_hosts(const std::set<std::string>& hosts) const {
  std::vector<NetworkEntry> out;
  for (const auto& host : hosts) {
    auto entries = entries_of_host(host);
    out.insert(out.end(), entries.begin(), entries.end());
  }
  return out;
}

std::vector<PeerModel::NetworkEntry> PeerModel::entries_of_host(const std::string& host_id) const {
  std::vector<NetworkEntry> out;
  auto host = hosts_.find(host_id);
  if (host == hosts_.end() || host_id == self_) return out;
  auto underlay = Ipv4::parse(host->second.underlay_ip);
  if (!underlay) return out;
  std::set<std::string> taking_part{std::string(proto::kDefaultNetwork)};
  if (auto names = names_by_host_.find(host_id); names != names_by_host_.end()) {
    for (const auto& name : names->second) {
      const proto::Endpoint& endpoint = endpoints_.at(name);
      if (!proto::is_gateway_name(name)) taking_part.insert(endpoint.network);
      if (!endpoint.mac_address.empty()) out.push_back({endpoint.network, {endpoint.mac_address, *underlay}});
    }
  }
  if (host->second.alive) {
    for (const auto& network : taking_part) out.push_back({network, {kFloodMac, *underlay}});
  }
  return out;
}

std::vector<FdbEntry> PeerModel::desired(const std::string& network) const {
  std::vector<FdbEntry> out;
  for (const auto& [entry, count] : wanted_) {
    if (entry.network == network) out.push_back(entry.entry);
  }
  return out;
}

}  // namespace vx::agent
