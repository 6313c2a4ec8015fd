// vxctl check without a name: the registry against Docker and the kernel on every live host
// (consistency.h); with --repair, the agents of the hosts that disagree run their repair pass and
// the cluster is checked again.
#include <boost/json.hpp>
#include <chrono>
#include <ostream>
#include <set>
#include <thread>

#include "vxctl/commands.h"
#include "vxctl/consistency.h"
#include "vxctl/table.h"

namespace vx::ctl {

namespace json = boost::json;

namespace {

// The agents' repairs are immediate but for what waits for a feed round trip (a MAC recorded,
// then seen by the other hosts).
constexpr auto kSettle = std::chrono::seconds(2);

struct Survey {
  std::vector<proto::HostStatus> hosts;
  std::vector<proto::Endpoint> registry;
  std::map<std::string, HostFacts> facts;  // by host id, for the hosts whose agent answered
  std::vector<Disagreement> found;
  size_t entries = 0;
};

Result<Survey> survey(ClusterClient& cluster, const Output& output) {
  Survey out;
  auto hosts = cluster.hosts();
  if (!hosts) return hosts.error();
  auto registry = cluster.containers();
  if (!registry) return registry.error();
  out.hosts = std::move(*hosts);
  out.registry = std::move(*registry);
  std::vector<const proto::Host*> live;
  std::vector<std::string> urls;
  for (const auto& status : out.hosts) {
    if (!status.host.alive) {
      output.warnings << "vxctl: warning: " << status.host.host_id << " is silent: not checked\n";
      continue;
    }
    live.push_back(&status.host);
    urls.push_back(status.host.agent_url);
  }
  auto containers = cluster.containers_of(urls);
  auto entries = cluster.forwarding_of(urls);
  for (size_t i = 0; i < live.size(); ++i) {
    if (!containers[i] || !entries[i]) {
      const Error& why = !containers[i] ? containers[i].error() : entries[i].error();
      output.warnings << "vxctl: warning: " << live[i]->host_id << " not checked: " << why.detail << "\n";
      continue;
    }
    out.entries += entries[i]->size();
    out.facts[live[i]->host_id] = {std::move(*containers[i]), std::move(*entries[i])};
  }
  out.found = find_disagreements(out.hosts, out.registry, out.facts);
  return out;
}

void repair(ClusterClient& cluster, const Survey& survey, const Output& output) {
  std::set<std::string> hosts;
  for (const auto& disagreement : survey.found) {
    if (!disagreement.host_id.empty()) hosts.insert(disagreement.host_id);
  }
  std::vector<std::string> urls;
  std::vector<std::string> names;
  for (const auto& status : survey.hosts) {
    if (hosts.count(status.host.host_id)) {
      urls.push_back(status.host.agent_url);
      names.push_back(status.host.host_id);
    }
  }
  auto synced = cluster.sync(urls);
  for (size_t i = 0; i < synced.size(); ++i) {
    if (!synced[i]) output.warnings << "vxctl: warning: cannot repair " << names[i] << ": " << synced[i].error().detail << "\n";
  }
  std::this_thread::sleep_for(kSettle);
}

int report(const Survey& survey, const Output& output, bool repaired) {
  if (output.json) {
    json::array found;
    for (const auto& d : survey.found) found.push_back({{"host_id", d.host_id}, {"kind", d.kind}, {"detail", d.detail}});
    output.out << json::serialize(json::object{{"consistent", survey.found.empty()},
                                               {"repaired", repaired},
                                               {"hosts_checked", survey.facts.size()},
                                               {"names", survey.registry.size()},
                                               {"forwarding_entries", survey.entries},
                                               {"disagreements", std::move(found)}})
               << "\n";
  } else if (survey.found.empty()) {
    output.out << "consistent: " << survey.facts.size() << " hosts, " << survey.registry.size() << " names, "
               << survey.entries << " forwarding entries checked\n";
  } else {
    Table table({"HOST", "KIND", "DETAIL"});
    for (const auto& d : survey.found) table.add_row({d.host_id.empty() ? "-" : d.host_id, d.kind, d.detail});
    output.out << table.render() << survey.found.size() << " disagreements"
               << (repaired ? " left after the repair (an address with no container is released by its agent "
                              "once its grace has passed)\n"
                            : "; vxctl check --repair fixes what is safe to fix\n");
  }
  return survey.found.empty() ? 0 : 1;
}

}  // namespace

Result<int> check_cluster(ClusterClient& cluster, const Output& output, bool repair_found) {
  auto found = survey(cluster, output);
  if (!found) return found.error();
  if (!repair_found || found->found.empty()) return report(*found, output, false);
  repair(cluster, *found, output);
  auto again = survey(cluster, output);
  if (!again) return again.error();
  return report(*again, output, true);
}

}  // namespace vx::ctl
