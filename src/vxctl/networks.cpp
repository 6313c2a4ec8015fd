// The overlay networks: network create, ls, inspect, rm. The IPAM holds them; vxctl only asks.
#include <algorithm>
#include <boost/json.hpp>
#include <ostream>

#include "common/ipv4.h"
#include "proto/names.h"
#include "vxctl/commands.h"
#include "vxctl/table.h"

namespace vx::ctl {

namespace json = boost::json;

namespace {

// One network as "key  value" lines: what create and inspect print.
std::vector<std::pair<std::string, std::string>> fields_of(const proto::NetworkStatus& network) {
  auto total = static_cast<int64_t>(network.total);
  auto allocated = static_cast<int64_t>(network.allocated);
  return {{"name", network.name},
          {"subnet", network.subnet},
          {"vni", std::to_string(network.vni)},
          {"range", network.range_start + " - " + network.range_end},
          {"total", std::to_string(total)},
          {"used", std::to_string(allocated) + " (" + format_percent(allocated, total) + ")"},
          {"free", std::to_string(network.available)}};
}

// --range-start and --range-end: an address, or nothing when not given.
Result<std::optional<Ipv4>> range_bound(const std::string& text, const char* option) {
  if (text.empty()) return std::optional<Ipv4>();
  auto ip = Ipv4::parse(text);
  if (!ip) return bad_input(ip.error().code, std::string(option) + ": " + ip.error().detail);
  return std::optional<Ipv4>(*ip);
}

}  // namespace

Result<int> create_network(ClusterClient& cluster, const Output& output, const NetworkCommand& command) {
  if (auto valid = proto::validate_network_name(command.name); !valid) return valid.error();
  if (auto subnet = Cidr::parse(command.subnet); !subnet) return subnet.error();
  if (command.vni && (*command.vni < 1 || *command.vni > proto::kMaxVni)) {
    return bad_input("invalid_vni", "--vni " + std::to_string(*command.vni) + " is not 1 to " +
                                        std::to_string(proto::kMaxVni));
  }
  auto range_start = range_bound(command.range_start, "--range-start");
  if (!range_start) return range_start.error();
  auto range_end = range_bound(command.range_end, "--range-end");
  if (!range_end) return range_end.error();

  // The IPAM answers an identical network that exists as it answers a new one: ask first, to say
  // which it was.
  auto before = cluster.network(command.name);
  if (!before && before.error().kind != ErrorKind::kNotFound) return before.error();
  auto created = cluster.create_network({command.name, command.subnet, command.vni, *range_start, *range_end});
  if (!created) return created.error();
  if (output.json) return print_json(output, proto::to_json(*created));
  output.out << (before ? "network " + command.name + " exists already, the same" : "created network " + command.name)
             << "\n"
             << render_fields(fields_of(*created));
  return 0;
}

Result<int> list_networks(ClusterClient& cluster, const Output& output) {
  auto networks = cluster.networks();
  if (!networks) return networks.error();
  std::sort(networks->begin(), networks->end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  if (output.json) {
    json::array out;
    for (const auto& network : *networks) out.push_back(proto::to_json(network));
    return print_json(output, out);
  }
  Table table({"NAME", "SUBNET", "VNI", "TOTAL", "USED", "FREE"});
  for (const auto& network : *networks) {
    table.add_row({network.name, network.subnet, std::to_string(network.vni), std::to_string(network.total),
                   std::to_string(network.allocated), std::to_string(network.available)});
  }
  output.out << table.render();
  return 0;
}

Result<int> inspect_network(ClusterClient& cluster, const Output& output, const std::string& name) {
  if (auto valid = proto::validate_network_name(name); !valid) return valid.error();
  auto network = cluster.network(name);
  if (!network) return network.error();
  auto registry = cluster.containers();
  if (!registry) return registry.error();
  std::vector<proto::Endpoint> on_it;  // the hosts' gateway addresses left out, as in ps
  for (auto& record : *registry) {
    if (record.network == name && !proto::is_gateway_name(record.container_name)) on_it.push_back(std::move(record));
  }
  std::sort(on_it.begin(), on_it.end(),
            [](const auto& a, const auto& b) { return a.container_name < b.container_name; });
  if (output.json) {
    json::object out = proto::to_json(*network);
    json::array containers;
    for (const auto& record : on_it) containers.push_back(proto::to_json(record));
    out["containers"] = std::move(containers);
    return print_json(output, out);
  }
  auto fields = fields_of(*network);
  fields.emplace_back("containers", std::to_string(on_it.size()));
  output.out << render_fields(fields);
  if (on_it.empty()) return 0;
  Table table({"NAME", "HOST", "ADDRESS"});
  for (const auto& record : on_it) table.add_row({record.container_name, record.host_id, record.ip_address});
  output.out << "\n" << table.render();
  return 0;
}

Result<int> remove_network(ClusterClient& cluster, const Output& output, const std::string& name) {
  if (auto valid = proto::validate_network_name(name); !valid) return valid.error();
  if (auto removed = cluster.delete_network(name); !removed) return removed.error();
  if (output.json) return print_json(output, json::object{{"name", name}, {"deleted", true}, {"success", true}});
  output.out << "removed network " << name << "\n";
  return 0;
}

}  // namespace vx::ctl
