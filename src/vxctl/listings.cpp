// The commands that only read: hosts, ps, stats, inspect, check (networks.cpp: the networks').
#include <boost/json.hpp>
#include <map>
#include <set>
#include <ostream>

#include "common/json_answer.h"
#include "proto/names.h"
#include "vxctl/commands.h"
#include "vxctl/table.h"

namespace vx::ctl {

namespace json = boost::json;

int print_json(const Output& output, const json::value& value) {
  output.out << json::serialize(value) << "\n";
  return 0;
}

namespace {

// What each host's agent says of its containers, by (host, name): a container of the same name
// elsewhere (a leftover) never lends its state to the registry's. Hosts whose agent did not answer
// are named in the warnings and left out of `answered`.
struct AgentViews {
  std::map<std::pair<std::string, std::string>, proto::Container> containers;
  std::set<std::string> answered;

  const proto::Container* find(const std::string& host_id, const std::string& name) const {
    auto found = containers.find({host_id, name});
    return found == containers.end() ? nullptr : &found->second;
  }
};

AgentViews ask_agents(ClusterClient& cluster, const std::vector<proto::HostStatus>& hosts, const Output& output) {
  std::vector<std::string> urls;
  for (const auto& status : hosts) urls.push_back(status.host.agent_url);
  auto answers = cluster.containers_of(urls);
  AgentViews views;
  for (size_t i = 0; i < answers.size(); ++i) {
    if (!answers[i]) {
      output.warnings << "vxctl: warning: " << answers[i].error().detail << "\n";
      continue;
    }
    const std::string& host_id = hosts[i].host.host_id;
    views.answered.insert(host_id);
    for (auto& container : *answers[i]) views.containers[{host_id, container.container_name}] = std::move(container);
  }
  return views;
}

// One line of `ps`: the registry's record, and what its host's agent says of it.
struct Listed {
  proto::Endpoint record;
  const proto::Container* container;  // null: the agent did not list it
  std::string state;
};

// "gateway" for a host's bridge address, the agent's state, "missing" when the host's agent
// answered without it (a container removed behind the agent's back), "unknown" when it did not.
Listed listed_of(const proto::Endpoint& record, const AgentViews& views) {
  const proto::Container* container = views.find(record.host_id, record.container_name);
  std::string state = proto::is_gateway_name(record.container_name) ? "gateway"
                      : container                                    ? container->status
                      : views.answered.count(record.host_id)         ? "missing"
                                                                     : "unknown";
  return {record, container, std::move(state)};
}

json::object to_json(const Listed& listed) {
  json::object out{{"container_name", listed.record.container_name},
                   {"host_id", listed.record.host_id},
                   {"ip_address", listed.record.ip_address},
                   {"network", listed.record.network},
                   {"state", listed.state}};
  if (listed.container) {
    out["image"] = listed.container->image;
    out["container_id"] = listed.container->container_id;
  }
  return out;
}

}  // namespace

Result<int> show_hosts(ClusterClient& cluster, const Output& output) {
  auto hosts = cluster.hosts();
  if (!hosts) return hosts.error();
  if (output.json) {
    json::array out;
    for (const auto& status : *hosts) out.push_back(proto::to_json(status));
    return print_json(output, out);
  }
  Table table({"HOST", "UNDERLAY", "AGENT", "HEARTBEAT", "STATE", "CONTAINERS"});
  for (const auto& [host, age, containers] : *hosts) {
    table.add_row({host.host_id, host.underlay_ip, host.agent_url, format_age(static_cast<int64_t>(age)),
                   host.alive ? "alive" : "silent", std::to_string(containers)});
  }
  output.out << table.render();
  return 0;
}

Result<int> show_containers(ClusterClient& cluster, const Output& output, bool with_gateways) {
  auto registry = cluster.containers();
  if (!registry) return registry.error();
  auto hosts = cluster.hosts();
  if (!hosts) return hosts.error();
  auto views = ask_agents(cluster, *hosts, output);
  std::map<std::string, Listed> listed;  // by name, so that the listing is sorted
  for (const auto& record : *registry) {
    if (proto::is_gateway_name(record.container_name) && !with_gateways) continue;
    listed.emplace(record.container_name, listed_of(record, views));
  }
  if (output.json) {
    json::array out;
    for (const auto& [name, entry] : listed) out.push_back(to_json(entry));
    return print_json(output, out);
  }
  Table table({"NAME", "HOST", "ADDRESS", "STATE", "IMAGE", "NETWORK"});
  for (const auto& [name, entry] : listed) {
    table.add_row({name, entry.record.host_id, entry.record.ip_address, entry.state,
                   entry.container ? entry.container->image : "-", entry.record.network});
  }
  output.out << table.render();
  return 0;
}

Result<int> show_stats(ClusterClient& cluster, const Output& output, const std::string& network) {
  if (auto valid = proto::validate_network_name(network); !valid) return valid.error();
  auto stats = cluster.stats(network);
  if (!stats) return stats.error();
  if (output.json) return print_json(output, proto::to_json(*stats));
  auto total = static_cast<int64_t>(stats->total);
  auto allocated = static_cast<int64_t>(stats->allocated);
  output.out << render_fields({{"network", stats->network},
                               {"pool", stats->subnet},
                               {"total", std::to_string(total)},
                               {"used", std::to_string(allocated) + " (" + format_percent(allocated, total) + ")"},
                               {"free", std::to_string(stats->available)}});
  return 0;
}

Result<int> inspect_container(ClusterClient& cluster, const Output& output, const std::string& name) {
  if (auto valid = proto::validate_container_name(name); !valid) return valid.error();
  auto placement = cluster.locate(name);
  if (!placement) return placement.error();
  json::object merged = proto::to_json(placement->record);
  merged["network"] = placement->record.network;  // the registry's, even when the agent does not answer
  merged["agent_url"] = placement->agent_url;
  if (!proto::is_gateway_name(name)) {
    auto container = cluster.container(placement->agent_url, name);
    if (container) {
      for (const auto& [key, value] : proto::to_json(*container)) merged[key] = value;
    } else {
      merged["status"] = container.error().code == "unknown_container" ? "missing" : "unknown";
      merged["agent_error"] = container.error().detail;
    }
  }
  if (output.json) return print_json(output, merged);
  json::value value = merged;
  std::vector<std::pair<std::string, std::string>> fields;
  for (const char* key : {"container_name", "host_id", "network", "ip_address", "mac_address", "status", "image",
                          "container_id", "agent_url", "agent_error"}) {
    if (merged.contains(key)) fields.emplace_back(key, string_field(value, key));
  }
  output.out << render_fields(fields);
  return 0;
}

Result<int> check_name(ClusterClient& cluster, const Output& output, const std::string& name) {
  if (auto valid = proto::validate_container_name(name); !valid) return valid.error();
  auto answer = cluster.check(name);
  if (!answer) return answer.error();
  if (output.json) return print_json(output, proto::to_json(*answer));
  if (answer->holder) {
    output.out << name << " is taken: " << answer->holder->ip_address << " on " << answer->holder->host_id << "\n";
  } else {
    output.out << name << " is free\n";
  }
  return 0;
}

}  // namespace vx::ctl
