// The commands that only read: hosts, ps, stats, inspect, check.
#include <boost/json.hpp>
#include <map>
#include <set>
#include <ostream>

#include "common/json_answer.h"
#include "common/names.h"
#include "vxctl/commands.h"
#include "vxctl/table.h"

namespace vx::ctl {

namespace json = boost::json;

namespace {

int print_json(const Output& output, const json::value& value) {
  output.out << json::serialize(value) << "\n";
  return 0;
}

// What each host's agent says of its containers, by (host, name): a container of the same name
// elsewhere (a leftover) never lends its state to the registry's. Hosts whose agent did not answer
// are named in the warnings and left out of `answered`.
struct AgentViews {
  std::map<std::pair<std::string, std::string>, json::value> containers;
  std::set<std::string> answered;
};

AgentViews ask_agents(ClusterClient& cluster, const json::value& hosts, const Output& output) {
  std::vector<std::string> ids;
  std::vector<std::string> urls;
  for (const auto& host : array_or_empty(hosts)) {
    ids.push_back(string_field(host, "host_id"));
    urls.push_back(string_field(host, "agent_url"));
  }
  auto answers = cluster.agents_get(urls, "/containers");
  AgentViews views;
  for (size_t i = 0; i < answers.size(); ++i) {
    if (!answers[i]) {
      output.warnings << "vxctl: warning: " << answers[i].error().detail << "\n";
      continue;
    }
    views.answered.insert(ids[i]);
    for (const auto& container : array_or_empty(*answers[i])) {
      views.containers[{ids[i], string_field(container, "container_name")}] = container;
    }
  }
  return views;
}

// "gateway" for a host's bridge address, the agent's state, "missing" when the host's agent
// answered without it (a container removed behind the agent's back), "unknown" when it did not.
std::string state_of(const std::string& name, const std::string& host_id, const AgentViews& views) {
  if (is_gateway_name(name)) return "gateway";
  if (auto found = views.containers.find({host_id, name}); found != views.containers.end()) {
    return string_field(found->second, "status");
  }
  return views.answered.count(host_id) ? "missing" : "unknown";
}

}  // namespace

Result<int> show_hosts(ClusterClient& cluster, const Output& output) {
  auto hosts = cluster.ipam("GET", "/hosts");
  if (!hosts) return hosts.error();
  if (output.json) return print_json(output, *hosts);
  Table table({"HOST", "UNDERLAY", "AGENT", "HEARTBEAT", "STATE", "CONTAINERS"});
  for (const auto& host : array_or_empty(*hosts)) {
    table.add_row({string_field(host, "host_id"), string_field(host, "underlay_ip"), string_field(host, "agent_url"),
                   format_age(int_field(host, "heartbeat_age_ms")), bool_field(host, "alive") ? "alive" : "silent",
                   std::to_string(int_field(host, "containers"))});
  }
  output.out << table.render();
  return 0;
}

Result<int> show_containers(ClusterClient& cluster, const Output& output, bool with_gateways) {
  auto registry = cluster.ipam("GET", "/containers");
  if (!registry) return registry.error();
  auto hosts = cluster.ipam("GET", "/hosts");
  if (!hosts) return hosts.error();
  auto views = ask_agents(cluster, *hosts, output);
  std::map<std::string, json::object> listed;  // by name, so that the listing is sorted
  for (const auto& record : array_or_empty(*registry)) {
    std::string name = string_field(record, "container_name");
    if (is_gateway_name(name) && !with_gateways) continue;
    std::string host_id = string_field(record, "host_id");
    json::object entry{{"container_name", name},
                       {"host_id", host_id},
                       {"ip_address", string_field(record, "ip_address")},
                       {"state", state_of(name, host_id, views)}};
    if (auto found = views.containers.find({host_id, name}); found != views.containers.end()) {
      entry["image"] = string_field(found->second, "image");
      entry["container_id"] = string_field(found->second, "container_id");
    }
    listed.emplace(name, std::move(entry));
  }
  if (output.json) {
    json::array out;
    for (auto& [name, entry] : listed) out.push_back(std::move(entry));
    return print_json(output, out);
  }
  Table table({"NAME", "HOST", "ADDRESS", "STATE", "IMAGE"});
  for (const auto& [name, entry] : listed) {
    json::value value = entry;
    table.add_row({name, string_field(value, "host_id"), string_field(value, "ip_address"), string_field(value, "state"),
                   entry.contains("image") ? string_field(value, "image") : "-"});
  }
  output.out << table.render();
  return 0;
}

Result<int> show_stats(ClusterClient& cluster, const Output& output) {
  auto stats = cluster.ipam("GET", "/stats");
  if (!stats) return stats.error();
  if (output.json) return print_json(output, *stats);
  int64_t total = int_field(*stats, "total_ips");
  int64_t allocated = int_field(*stats, "allocated_ips");
  output.out << render_fields({{"pool", string_field(*stats, "network_subnet")},
                               {"total", std::to_string(total)},
                               {"used", std::to_string(allocated) + " (" + format_percent(allocated, total) + ")"},
                               {"free", std::to_string(int_field(*stats, "available_ips"))}});
  return 0;
}

Result<int> inspect_container(ClusterClient& cluster, const Output& output, const std::string& name) {
  if (auto valid = validate_container_name(name); !valid) return valid.error();
  auto placement = cluster.locate(name);
  if (!placement) return placement.error();
  json::object merged = placement->record.as_object();
  merged["agent_url"] = placement->agent_url;
  if (!is_gateway_name(name)) {
    auto container = cluster.agent(placement->agent_url, "GET", "/container/" + name);
    if (container && container->is_object()) {
      for (const auto& [key, value] : container->as_object()) merged[key] = value;
    } else {
      bool gone = !container && container.error().code == "unknown_container";
      merged["status"] = gone ? "missing" : "unknown";
      if (!container) merged["agent_error"] = container.error().detail;
    }
  }
  if (output.json) return print_json(output, merged);
  json::value value = merged;
  std::vector<std::pair<std::string, std::string>> fields;
  for (const char* key : {"container_name", "host_id", "ip_address", "mac_address", "status", "image", "container_id",
                          "agent_url", "agent_error"}) {
    if (merged.contains(key)) fields.emplace_back(key, string_field(value, key));
  }
  output.out << render_fields(fields);
  return 0;
}

Result<int> check_name(ClusterClient& cluster, const Output& output, const std::string& name) {
  if (auto valid = validate_container_name(name); !valid) return valid.error();
  auto answer = cluster.ipam("GET", "/check/" + name);
  if (!answer) return answer.error();
  if (output.json) return print_json(output, *answer);
  if (bool_field(*answer, "exists")) {
    output.out << name << " is taken: " << string_field(*answer, "ip_address") << " on "
               << string_field(*answer, "host_id") << "\n";
  } else {
    output.out << name << " is free\n";
  }
  return 0;
}

}  // namespace vx::ctl
