// vxctl's commands. Each prints its answer to `out` (a table or fields for people, the daemons'
// JSON with --json) and returns the exit status of a command that ran: 0, or 1 when a check ran
// and its answer is no (ping found B unreachable). A command that cannot run returns the Error
// that stopped it and prints nothing; main turns that into one line and an exit status of its
// kind (exit_status.h).
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "common/error.h"
#include "proto/names.h"
#include "proto/peers.h"
#include "vxctl/cluster_client.h"

namespace vx::ctl {

struct Output {
  std::ostream& out;
  std::ostream& warnings;  // what went wrong on the side (an agent that did not answer in `ps`)
  bool json = false;
};

// Prints `value` as one line of JSON, the --json form of an answer; returns exit status 0.
int print_json(const Output& output, const boost::json::value& value);

struct RunCommand {
  std::string name;
  std::string image;
  std::string host_id;  // empty: the live host with the fewest containers
  std::string network = std::string(proto::kDefaultNetwork);
};

// network create: the IPAM's NetworkRequest as typed, addresses still text ("": not given).
struct NetworkCommand {
  std::string name;
  std::string subnet;
  std::optional<uint32_t> vni;  // none: the IPAM picks the lowest free one
  std::string range_start;
  std::string range_end;
};

struct PingCommand {
  std::string from;
  std::string to;  // a container name or an IPv4 address
  int count = 3;
  int timeout_ms = 1000;
  std::optional<uint16_t> port;  // a TCP connect instead of an ICMP echo
};

Result<int> show_hosts(ClusterClient& cluster, const Output& output);
Result<int> show_containers(ClusterClient& cluster, const Output& output, bool with_gateways);
Result<int> show_stats(ClusterClient& cluster, const Output& output, const std::string& network);
Result<int> inspect_container(ClusterClient& cluster, const Output& output, const std::string& name);
Result<int> check_name(ClusterClient& cluster, const Output& output, const std::string& name);
// Every disagreement between the registry, Docker on each live host and each host's kernel;
// exit status 1 when there is one. With `repair`, the agents of the hosts concerned run their
// repair pass (housekeeping and a diff of the kernel), under their own safety rules, and the
// cluster is checked again.
Result<int> check_cluster(ClusterClient& cluster, const Output& output, bool repair);

Result<int> run_container(ClusterClient& cluster, const Output& output, const RunCommand& request);
Result<int> remove_container(ClusterClient& cluster, const Output& output, const std::string& name);
Result<int> ping_container(ClusterClient& cluster, const Output& output, const PingCommand& request);
// A dead host removed for good: its addresses released, its forwarding entries gone everywhere.
Result<int> remove_host(ClusterClient& cluster, const Output& output, const std::string& host_id);

// The overlay networks (networks.cpp). `network inspect` lists the containers on it, without the
// hosts' gateways; `network rm` refuses (the IPAM's refusal) while a container is on it.
Result<int> create_network(ClusterClient& cluster, const Output& output, const NetworkCommand& request);
Result<int> list_networks(ClusterClient& cluster, const Output& output);
Result<int> inspect_network(ClusterClient& cluster, const Output& output, const std::string& name);
Result<int> remove_network(ClusterClient& cluster, const Output& output, const std::string& name);

// events (events.cpp): follows the change feed and prints one line per change, its time (as
// received), revision, kind and what changed; --json prints each change as one JSON object. Starts
// after `since` (a revision printed earlier), else from now. A reset (the IPAM could not continue
// from there) is a line of its own. Stops after `count` changes, or never when 0; an IPAM that does
// not answer is waited for, with a line on the warnings.
struct EventsCommand {
  std::optional<uint64_t> since;
  int64_t count = 0;
};
Result<int> follow_events(ClusterClient& cluster, const Output& output, const EventsCommand& command);
// One change as `events` prints it for people, `time` already formatted.
std::string describe_change(const proto::Change& change, const std::string& time);

}  // namespace vx::ctl
