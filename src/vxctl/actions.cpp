// The commands that act: run, rm, ping. Each goes to the agent of the host concerned.
#include <boost/json.hpp>
#include <cstdio>
#include <ostream>

#include "proto/names.h"
#include "vxctl/commands.h"

namespace vx::ctl {

namespace json = boost::json;

namespace {

struct Host {
  std::string id;
  std::string agent_url;
};

// With no host asked for: the live host that runs the fewest containers, so that a bare `vxctl
// run` spreads work and never lands on a host that stopped answering.
Result<Host> pick_host(ClusterClient& cluster) {
  auto hosts = cluster.hosts();
  if (!hosts) return hosts.error();
  const proto::HostStatus* best = nullptr;
  for (const auto& status : *hosts) {
    if (!status.host.alive) continue;
    if (best == nullptr || status.containers < best->containers) best = &status;
  }
  if (best == nullptr) return unavailable("no_live_host", "no host is alive in the cluster (see vxctl hosts)");
  return Host{best->host.host_id, best->host.agent_url};
}

// The host asked for, or the one pick_host() chooses.
Result<Host> host_for(ClusterClient& cluster, const std::string& host_id) {
  if (host_id.empty()) return pick_host(cluster);
  if (auto valid = proto::validate_host_id(host_id); !valid) return valid.error();
  auto agent_url = cluster.agent_url_of(host_id);
  if (!agent_url) return agent_url.error();
  return Host{host_id, std::move(*agent_url)};
}

// A daemon's answer for what it did, as it gave it.
void print_success(const Output& output, json::object out) {
  out["success"] = true;
  output.out << json::serialize(out) << "\n";
}

std::string format_ms(double milliseconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f ms", milliseconds);
  return text;
}

}  // namespace

Result<int> run_container(ClusterClient& cluster, const Output& output, const RunCommand& request) {
  if (auto valid = proto::validate_container_name(request.name); !valid) return valid.error();
  if (request.image.empty()) return bad_input("invalid_image", "IMAGE must not be empty");
  if (auto valid = proto::validate_network_name(request.network); !valid) return valid.error();
  auto host = host_for(cluster, request.host_id);
  if (!host) return host.error();
  auto created = cluster.create(host->agent_url, {request.name, request.image, request.network});
  if (!created) return created.error();
  if (output.json) {
    print_success(output, proto::to_json(*created));
    return 0;
  }
  // The default network goes unsaid, as it did before there were others.
  std::string network = created->network == proto::kDefaultNetwork ? "" : " on network " + created->network;
  output.out << request.name << " is " << created->status << " on " << host->id << " at " << created->ip_address
             << network << " (container " << created->container_id.substr(0, 12) << ")\n";
  return 0;
}

Result<int> remove_container(ClusterClient& cluster, const Output& output, const std::string& name) {
  if (auto valid = proto::validate_container_name(name); !valid) return valid.error();
  if (proto::is_gateway_name(name)) {
    return bad_input("gateway_name", "'" + name + "' is a host's gateway address, not a container");
  }
  auto placement = cluster.locate(name);
  if (!placement) return placement.error();
  auto removed = cluster.remove(placement->agent_url, name);
  if (!removed) return removed.error();
  if (output.json) {
    print_success(output, proto::to_json(*removed));
    return 0;
  }
  output.out << "removed " << name << " from " << placement->record.host_id << "; " << placement->record.ip_address
             << " is free again\n";
  return 0;
}

Result<int> remove_host(ClusterClient& cluster, const Output& output, const std::string& host_id) {
  if (auto valid = proto::validate_host_id(host_id); !valid) return valid.error();
  auto removed = cluster.remove_host(host_id);
  if (!removed) return removed.error();
  if (output.json) {
    print_success(output, proto::to_json(*removed));
    return 0;
  }
  output.out << "removed host " << host_id << "; " << removed->released << " addresses are free again\n";
  return 0;
}

Result<int> ping_container(ClusterClient& cluster, const Output& output, const PingCommand& request) {
  if (auto valid = proto::validate_container_name(request.from); !valid) return valid.error();
  if (request.to.empty()) return bad_input("invalid_target", "B must name a container or an IPv4 address");
  auto placement = cluster.locate(request.from);
  if (!placement) return placement.error();
  proto::PingRequest ping{request.to, std::nullopt, request.count, std::chrono::milliseconds(request.timeout_ms),
                          request.port};
  auto report = cluster.ping(placement->agent_url, request.from, ping);
  if (!report) return report.error();
  int status = report->received() > 0 ? 0 : 1;
  if (output.json) {
    output.out << json::serialize(proto::to_json(*report)) << "\n";
    return status;
  }
  std::string what = request.port ? "tcp port " + std::to_string(*request.port) + ": " : "icmp: ";
  output.out << request.from << " (" << placement->record.host_id << ") -> " << request.to << " ("
             << report->target_ip << ") " << what << report->received() << " of " << report->sent << " answered";
  if (auto average = report->average_rtt_ms()) output.out << ", average " << format_ms(*average);
  output.out << (status == 0 ? ": reachable\n" : ": UNREACHABLE\n");
  return status;
}

}  // namespace vx::ctl
