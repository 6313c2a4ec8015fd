// The commands that act: run, rm, ping. Each goes to the agent of the host concerned.
#include <boost/json.hpp>
#include <cstdio>
#include <ostream>

#include "common/json_answer.h"
#include "common/names.h"
#include "vxctl/commands.h"

namespace vx::ctl {

namespace json = boost::json;

namespace {

// Creating pulls nothing (images are local) but may wait on Docker's create and start, which the
// agent gives 30 s each.
constexpr std::chrono::milliseconds kCreateTimeout{75'000};

struct Host {
  std::string id;
  std::string agent_url;
};

// With no host asked for: the live host that runs the fewest containers, so that a bare `vxctl
// run` spreads work and never lands on a host that stopped answering.
Result<Host> pick_host(ClusterClient& cluster) {
  auto hosts = cluster.ipam("GET", "/hosts");
  if (!hosts) return hosts.error();
  const json::value* best = nullptr;
  for (const auto& host : array_or_empty(*hosts)) {
    if (!bool_field(host, "alive")) continue;
    if (best == nullptr || int_field(host, "containers") < int_field(*best, "containers")) best = &host;
  }
  if (best == nullptr) return unavailable("no_live_host", "no host is alive in the cluster (see vxctl hosts)");
  return Host{string_field(*best, "host_id"), string_field(*best, "agent_url")};
}

// The host asked for, or the one pick_host() chooses.
Result<Host> host_for(ClusterClient& cluster, const std::string& host_id) {
  if (host_id.empty()) return pick_host(cluster);
  if (auto valid = validate_host_id(host_id); !valid) return valid.error();
  auto agent_url = cluster.agent_url_of(host_id);
  if (!agent_url) return agent_url.error();
  return Host{host_id, std::move(*agent_url)};
}

std::string format_ms(double milliseconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f ms", milliseconds);
  return text;
}

}  // namespace

Result<int> run_container(ClusterClient& cluster, const Output& output, const RunCommand& request) {
  if (auto valid = validate_container_name(request.name); !valid) return valid.error();
  if (request.image.empty()) return bad_input("invalid_image", "IMAGE must not be empty");
  auto host = host_for(cluster, request.host_id);
  if (!host) return host.error();
  std::string body = json::serialize(json::object{{"container_name", request.name}, {"image", request.image}});
  auto created = cluster.agent(host->agent_url, "POST", "/create_container", std::move(body), kCreateTimeout);
  if (!created) return created.error();
  if (output.json) {
    output.out << json::serialize(*created) << "\n";
    return 0;
  }
  output.out << request.name << " is " << string_field(*created, "status") << " on " << host->id << " at "
             << string_field(*created, "ip_address") << " (container " << string_field(*created, "container_id").substr(0, 12)
             << ")\n";
  return 0;
}

Result<int> remove_container(ClusterClient& cluster, const Output& output, const std::string& name) {
  if (auto valid = validate_container_name(name); !valid) return valid.error();
  if (is_gateway_name(name)) {
    return bad_input("gateway_name", "'" + name + "' is a host's gateway address, not a container");
  }
  auto placement = cluster.locate(name);
  if (!placement) return placement.error();
  auto removed = cluster.agent(placement->agent_url, "DELETE", "/container/" + name, {}, kCreateTimeout);
  if (!removed) return removed.error();
  if (output.json) {
    output.out << json::serialize(*removed) << "\n";
    return 0;
  }
  output.out << "removed " << name << " from " << placement->host_id << "; "
             << string_field(placement->record, "ip_address") << " is free again\n";
  return 0;
}

Result<int> ping_container(ClusterClient& cluster, const Output& output, const PingCommand& request) {
  if (auto valid = validate_container_name(request.from); !valid) return valid.error();
  if (request.to.empty()) return bad_input("invalid_target", "B must name a container or an IPv4 address");
  auto placement = cluster.locate(request.from);
  if (!placement) return placement.error();
  json::object body{{"target", request.to}, {"count", request.count}, {"timeout_ms", request.timeout_ms}};
  if (request.port) body["port"] = *request.port;
  // The probes run one after another on the agent, each under its own timeout, after the agent
  // asked Docker and the IPAM (5 s each at most) where to probe from and to.
  std::chrono::milliseconds deadline(static_cast<int64_t>(request.count) * (request.timeout_ms + 200) + 15'000);
  auto report = cluster.agent(placement->agent_url, "POST", "/container/" + request.from + "/ping",
                              json::serialize(body), deadline);
  if (!report) return report.error();
  int64_t sent = int_field(*report, "sent");
  int64_t received = int_field(*report, "received");
  int status = received > 0 ? 0 : 1;
  if (output.json) {
    output.out << json::serialize(*report) << "\n";
    return status;
  }
  std::string what = request.port ? "tcp port " + std::to_string(*request.port) + ": " : "icmp: ";
  output.out << request.from << " (" << placement->host_id << ") -> " << request.to << " ("
             << string_field(*report, "target_ip") << ") " << what << received << " of " << sent << " answered";
  const json::value* average = report->is_object() ? report->as_object().if_contains("avg_rtt_ms") : nullptr;
  if (average && average->is_number()) output.out << ", average " << format_ms(average->to_number<double>());
  output.out << (status == 0 ? ": reachable\n" : ": UNREACHABLE\n");
  return status;
}

}  // namespace vx::ctl
