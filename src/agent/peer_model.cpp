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
  wanted_fdb_.clear();
  wanted_neighbours_.clear();
  for (const auto& [id, host] : hosts_) {
    HostEntries entries = entries_of_host(id);
    for (const auto& entry : entries.fdb) ++wanted_fdb_[entry];
    for (const auto& entry : entries.neighbours) ++wanted_neighbours_[entry];
  }
}

NetworkPlans PeerModel::apply(const proto::Change& change) {
  std::set<std::string> touched = hosts_touched_by(change);
  HostEntries before = entries_of_hosts(touched);
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
  HostEntries after = entries_of_hosts(touched);
  NetworkPlans plans;
  count(wanted_fdb_, before.fdb, after.fdb, plans, &DevicePlan::fdb);
  count(wanted_neighbours_, before.neighbours, after.neighbours, plans, &DevicePlan::neighbours);
  return plans;
}

template <class Entry>
void PeerModel::count(Wanted<Entry>& wanted, const std::vector<OnNetwork<Entry>>& before,
                      const std::vector<OnNetwork<Entry>>& after, NetworkPlans& plans,
                      Plan<Entry> DevicePlan::*plan) {
  std::map<OnNetwork<Entry>, int> delta;
  for (const auto& entry : before) --delta[entry];
  for (const auto& entry : after) ++delta[entry];
  for (const auto& [entry, by] : delta) {
    if (by == 0) continue;
    int& count = wanted[entry];
    bool was = count > 0;
    count += by;
    if (was && count <= 0) (plans[entry.network].*plan).remove.push_back(entry.entry);
    if (!was && count > 0) (plans[entry.network].*plan).add.push_back(entry.entry);
    if (count <= 0) wanted.erase(entry);
  }
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

PeerModel::HostEntries PeerModel::entries_of_hosts(const std::set<std::string>& hosts) const {
  HostEntries out;
  for (const auto& host : hosts) {
    HostEntries entries = entries_of_host(host);
    out.fdb.insert(out.fdb.end(), entries.fdb.begin(), entries.fdb.end());
    out.neighbours.insert(out.neighbours.end(), entries.neighbours.begin(), entries.neighbours.end());
  }
  return out;
}

PeerModel::HostEntries PeerModel::entries_of_host(const std::string& host_id) const {
  HostEntries out;
  auto host = hosts_.find(host_id);
  if (host == hosts_.end() || host_id == self_) return out;
  auto underlay = Ipv4::parse(host->second.underlay_ip);
  if (!underlay) return out;
  std::set<std::string> taking_part{std::string(proto::kDefaultNetwork)};
  if (auto names = names_by_host_.find(host_id); names != names_by_host_.end()) {
    for (const auto& name : names->second) {
      const proto::Endpoint& endpoint = endpoints_.at(name);
      if (!proto::is_gateway_name(name)) taking_part.insert(endpoint.network);
      if (endpoint.mac_address.empty()) continue;
      out.fdb.push_back({endpoint.network, {endpoint.mac_address, *underlay}});
      if (auto address = Ipv4::parse(endpoint.ip_address)) {
        out.neighbours.push_back({endpoint.network, {*address, endpoint.mac_address}});
      }
    }
  }
  if (host->second.alive) {
    for (const auto& network : taking_part) out.fdb.push_back({network, {kFloodMac, *underlay}});
  }
  return out;
}

template <class Entry>
std::vector<Entry> PeerModel::of_network(const Wanted<Entry>& wanted, const std::string& network) {
  std::vector<Entry> out;
  for (const auto& [entry, count] : wanted) {
    if (entry.network == network) out.push_back(entry.entry);
  }
  return out;
}

std::vector<FdbEntry> PeerModel::desired(const std::string& network) const { return of_network(wanted_fdb_, network); }

std::vector<NeighbourEntry> PeerModel::desired_neighbours(const std::string& network) const {
  return of_network(wanted_neighbours_, network);
}

}  // namespace vx::agent
