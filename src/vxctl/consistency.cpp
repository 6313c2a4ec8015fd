#include "vxctl/consistency.h"

#include <set>

#include "common/mac.h"
#include "proto/names.h"

namespace vx::ctl {

namespace {

std::set<proto::ForwardingEntry> entries_wanted(const std::string& host_id,
                                                const std::vector<proto::HostStatus>& hosts,
                                                const std::vector<proto::Endpoint>& registry) {
  std::map<std::string, std::string> underlay;
  std::set<proto::ForwardingEntry> wanted;
  for (const auto& status : hosts) {
    underlay[status.host.host_id] = status.host.underlay_ip;
    if (status.host.alive && status.host.host_id != host_id) wanted.insert({kFloodMac, status.host.underlay_ip});
  }
  for (const auto& endpoint : registry) {
    auto peer = underlay.find(endpoint.host_id);
    if (endpoint.network != proto::kDefaultNetwork) continue;  // on another device than the one compared
    if (endpoint.mac_address.empty() || endpoint.host_id == host_id || peer == underlay.end()) continue;
    wanted.insert({endpoint.mac_address, peer->second});
  }
  return wanted;
}

void compare_entries(const std::string& host_id, const std::set<proto::ForwardingEntry>& wanted,
                     const std::vector<proto::ForwardingEntry>& held, std::vector<Disagreement>& out) {
  std::set<proto::ForwardingEntry> have(held.begin(), held.end());
  for (const auto& entry : wanted) {
    if (!have.count(entry)) out.push_back({host_id, "missing_entry", entry.mac + " -> " + entry.dst + " is missing"});
  }
  for (const auto& entry : have) {
    if (!wanted.count(entry)) {
      out.push_back({host_id, "stray_entry", entry.mac + " -> " + entry.dst + " matches nothing in the registry"});
    }
  }
}

void compare_containers(const std::string& host_id, const std::vector<proto::Container>& containers,
                        const std::map<std::string, const proto::Endpoint*>& by_name,
                        const std::vector<proto::Endpoint>& registry, std::vector<Disagreement>& out) {
  std::set<std::string> present;
  for (const auto& container : containers) {
    present.insert(container.container_name);
    // Not on the overlay now: a container Docker stopped (its address parked for its restart) or
    // never started. Its entry, if any, is no orphan; its address is nothing to compare.
    if (container.ip_address.empty()) continue;
    auto record = by_name.find(container.container_name);
    const std::string& name = container.container_name;
    if (record == by_name.end()) {
      out.push_back({host_id, "unregistered_container",
                     name + " runs with " + container.ip_address + ", which the registry does not hold for it"});
    } else if (record->second->host_id != host_id) {
      out.push_back({host_id, "wrong_host", name + " runs here, but the registry has it on " + record->second->host_id});
    } else if (record->second->ip_address != container.ip_address) {
      out.push_back({host_id, "wrong_address", name + " runs with " + container.ip_address +
                                                   ", but the registry holds " + record->second->ip_address});
    }
  }
  for (const auto& endpoint : registry) {
    if (endpoint.host_id != host_id || proto::is_gateway_name(endpoint.container_name)) continue;
    if (!present.count(endpoint.container_name)) {
      out.push_back({host_id, "orphan_address",
                     endpoint.ip_address + " is held for " + endpoint.container_name + ", which has no container here"});
    }
  }
}

}  // namespace

std::vector<Disagreement> find_disagreements(const std::vector<proto::HostStatus>& hosts,
                                             const std::vector<proto::Endpoint>& registry,
                                             const std::map<std::string, HostFacts>& facts) {
  std::vector<Disagreement> out;
  std::map<std::string, const proto::Endpoint*> by_name;
  std::map<std::string, std::string> by_address;
  for (const auto& endpoint : registry) {
    by_name[endpoint.container_name] = &endpoint;
    auto [holder, first] = by_address.emplace(endpoint.ip_address, endpoint.container_name);
    if (!first) {
      out.push_back({"", "address_twice", endpoint.ip_address + " is held by " + holder->second + " and " +
                                              endpoint.container_name});
    }
  }
  for (const auto& [host_id, found] : facts) {
    compare_containers(host_id, found.containers, by_name, registry, out);
    compare_entries(host_id, entries_wanted(host_id, hosts, registry), found.fdb, out);
  }
  return out;
}

}  // namespace vx::ctl
