// vxctl: the command-line client for people. Talks to the IPAM (--ipam or VXLAN_IPAM) and, through
// the host list the IPAM keeps, to each host's agent. Errors are one line on stderr and an exit
// status of their kind (exit_status.h); nothing it prints is a stack trace or a raw answer.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <iostream>

#include "common/auth.h"
#include "proto/ipam.h"
#include "vxctl/commands.h"
#include "vxctl/exit_status.h"

namespace vx::ctl {

namespace {

using Command = std::function<Result<int>(ClusterClient&, const Output&)>;

// Everything the command line says; the chosen subcommand fills in `command`.
struct CommandLine {
  std::string ipam = "http://127.0.0.1:8000";
  std::string token_file;
  int timeout_ms = 5000;
  bool json = false;
  bool with_gateways = false;
  bool repair = false;
  RunCommand run;
  std::string name;
  std::string network = std::string(proto::kDefaultNetwork);  // of stats
  NetworkCommand new_network;
  int64_t vni = 0;
  PingCommand ping;
  int port = 0;
  EventsCommand events;
  int64_t since = -1;
  Command command;
};

int fail(const Error& error) {
  std::cerr << "vxctl: " << error.detail << "\n";
  return exit_status_of(error.kind);
}

void add_listings(CLI::App& app, CommandLine& line) {
  app.add_subcommand("hosts", "every host: underlay address, agent, last heartbeat, containers")
      ->callback([&line] { line.command = show_hosts; });
  auto* ps = app.add_subcommand("ps", "every container in the cluster: host, address, state, network");
  ps->add_flag("--all,-a", line.with_gateways, "list the hosts' gateway addresses too");
  ps->callback([&line] {
    line.command = [&line](auto& cluster, auto& output) { return show_containers(cluster, output, line.with_gateways); };
  });
  auto* stats = app.add_subcommand("stats", "a network's address pool: size, used, free");
  stats->add_option("--network", line.network, "the network")->capture_default_str();
  stats->callback([&line] {
    line.command = [&line](auto& cluster, auto& output) { return show_stats(cluster, output, line.network); };
  });
}

// A command of one argument, which `run` is given: rm NAME, host rm HOST, network inspect NAME...
struct Named {
  const char* command;
  const char* help;
  const char* argument;
  const char* argument_help;
  Result<int> (*run)(ClusterClient&, const Output&, const std::string&);
};

void add_named(CLI::App& parent, CommandLine& line, std::initializer_list<Named> commands) {
  for (const Named& named : commands) {
    auto* sub = parent.add_subcommand(named.command, named.help);
    sub->add_option(named.argument, line.name, named.argument_help)->required();
    sub->callback([&line, run = named.run] {
      line.command = [&line, run](auto& cluster, auto& output) { return run(cluster, output, line.name); };
    });
  }
}

void add_containers(CLI::App& app, CommandLine& line) {
  add_named(app, line,
            {{"rm", "stop and remove a container, freeing its address", "NAME", "the container's name", remove_container},
             {"inspect", "a container's address, network, host, MAC, state and image", "NAME", "the container's name",
              inspect_container}});
}

// check NAME: is the name taken; check: is the cluster consistent.
void add_check(CLI::App& app, CommandLine& line) {
  auto* check = app.add_subcommand(
      "check", "without NAME: every disagreement between the registry, Docker and the kernels; with NAME: who holds it");
  check->add_option("NAME", line.name, "a container's name");
  check->add_flag("--repair", line.repair, "have the agents fix what is safe to fix, then check again");
  check->callback([&line] {
    line.command = [&line](auto& cluster, auto& output) -> Result<int> {
      if (line.name.empty()) return check_cluster(cluster, output, line.repair);
      if (line.repair) return bad_input("invalid_usage", "--repair checks the whole cluster: give no NAME");
      return check_name(cluster, output, line.name);
    };
  });
}

void add_host(CLI::App& app, CommandLine& line) {
  auto* host = app.add_subcommand("host", "manage hosts")->require_subcommand(1);
  add_named(*host, line,
            {{"rm", "remove a dead host for good: release its addresses, drop it from every peer", "HOST", "the host's id",
              remove_host}});
}

void add_network(CLI::App& app, CommandLine& line) {
  auto* network = app.add_subcommand("network", "manage the overlay networks")->require_subcommand(1);
  auto* create = network->add_subcommand("create", "a new network: its subnet, VXLAN id and address range");
  create->add_option("NAME", line.new_network.name, "the network's name")->required();
  create->add_option("--subnet", line.new_network.subnet, "its subnet, a CIDR block (10.30.0.0/24)")->required();
  create->add_option("--vni", line.vni, "its VXLAN network id (default: the lowest free one from 4097)")
      ->check(CLI::Range(int64_t{1}, int64_t{proto::kMaxVni}));
  create->add_option("--range-start", line.new_network.range_start,
                     "the first address to give out (default: the subnet's first)");
  create->add_option("--range-end", line.new_network.range_end,
                     "the last address to give out (default: the subnet's last)");
  create->callback([&line] {
    if (line.vni != 0) line.new_network.vni = static_cast<uint32_t>(line.vni);  // 1 to kMaxVni, checked above
    line.command = [&line](auto& cluster, auto& output) { return create_network(cluster, output, line.new_network); };
  });
  network->add_subcommand("ls", "every network: subnet, VNI, addresses used and free")->callback([&line] {
    line.command = list_networks;
  });
  add_named(*network, line,
            {{"inspect", "a network's subnet, VNI, range and use, and the containers on it", "NAME", "the network's name",
              inspect_network},
             {"rm", "remove a network no container is on", "NAME", "the network's name", remove_network}});
}

void add_run(CLI::App& app, CommandLine& line) {
  auto* run = app.add_subcommand("run", "create and start a container on the overlay");
  run->add_option("NAME", line.run.name, "the container's name")->required();
  run->add_option("IMAGE", line.run.image, "an image present on the host")->required();
  run->add_option("--host", line.run.host_id, "the host to run it on (default: the live host with the fewest containers)");
  run->add_option("--network", line.run.network, "the network to attach it to")->capture_default_str();
  run->callback([&line] {
    line.command = [&line](auto& cluster, auto& output) { return run_container(cluster, output, line.run); };
  });
}

void add_ping(CLI::App& app, CommandLine& line) {
  auto* ping = app.add_subcommand("ping", "can container A reach B? A's agent probes from inside A");
  ping->add_option("A", line.ping.from, "the container the probes leave from")->required();
  ping->add_option("B", line.ping.to, "a container name or an IPv4 address")->required();
  ping->add_option("--count,-c", line.ping.count, "how many probes (1-10)")->check(CLI::Range(1, 10))->capture_default_str();
  ping->add_option("--probe-timeout-ms", line.ping.timeout_ms, "how long each probe waits (100-5000)")
      ->check(CLI::Range(100, 5000))
      ->capture_default_str();
  ping->add_option("--port,-p", line.port, "probe with a TCP connect to this port instead of ICMP echo")
      ->check(CLI::Range(1, 65535));
  ping->callback([&line] {
    if (line.port != 0) line.ping.port = static_cast<uint16_t>(line.port);  // 1-65535, checked above
    line.command = [&line](auto& cluster, auto& output) { return ping_container(cluster, output, line.ping); };
  });
}

void add_events(CLI::App& app, CommandLine& line) {
  auto* events = app.add_subcommand("events", "follow the cluster's changes: one line per host or container change");
  events->add_option("--since", line.since, "resume after this revision (one printed earlier)")
      ->check(CLI::NonNegativeNumber);
  events->add_option("--count", line.events.count, "stop after this many changes (default: never)")
      ->check(CLI::NonNegativeNumber);
  events->callback([&line] {
    if (line.since >= 0) line.events.since = static_cast<uint64_t>(line.since);
    line.command = [&line](auto& cluster, auto& output) { return follow_events(cluster, output, line.events); };
  });
}

// CLI11 reports a mistyped command (or a mistyped one of a group: host, network) as a missing
// one; name it instead.
std::string usage_error(CLI::App& app, int argc, char** argv, const CLI::ParseError& error) {
  CLI::App* current = &app;
  std::string command;  // the words of the commands so far
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word.starts_with("-")) {
      if (word.find('=') == std::string::npos && word != "--json") ++i;  // skip the option's value
      continue;
    }
    auto subs = current->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) break;  // a command's own argument
    command += command.empty() ? word : " " + word;
    auto found = std::find_if(subs.begin(), subs.end(), [&](const CLI::App* sub) { return sub->get_name() == word; });
    if (found == subs.end()) return "unknown command '" + command + "'";
    current = *found;
  }
  return error.what();
}

}  // namespace

int run(int argc, char** argv) {
  CommandLine line;
  CLI::App app{"vxctl: the vxlan-cluster's containers, hosts and addresses"};
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(kExitStatusHelp);
  app.add_option("--ipam", line.ipam, "the IPAM, http://HOST:PORT, or its replicas, comma-separated")->envname("VXLAN_IPAM")->capture_default_str();
  app.add_option("--token-file", line.token_file, "a file holding the cluster's token (default: $VXLAN_TOKEN)");
  app.add_option("--timeout-ms", line.timeout_ms, "deadline of each call to the IPAM and the agents")
      ->check(CLI::Range(100, 600000))
      ->capture_default_str();
  app.add_flag("--json", line.json, "print the answer as JSON, for scripts");
  add_listings(app, line);
  add_containers(app, line);
  add_run(app, line);
  add_host(app, line);
  add_network(app, line);
  add_check(app, line);
  add_ping(app, line);
  add_events(app, line);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "vxctl: " << usage_error(app, argc, argv, e) << " (see vxctl --help)\n";
    return kExitUsage;
  }

  auto token = load_token(line.token_file);
  if (!token) return fail(token.error());
  auto cluster = ClusterClient::connect({line.ipam, *token, std::chrono::milliseconds(line.timeout_ms)});
  if (!cluster) return fail(cluster.error());
  Output output{std::cout, std::cerr, line.json};
  try {
    auto status = line.command(*cluster, output);
    if (!status) return fail(status.error());
    return *status;
  } catch (const std::exception& e) {
    // A daemon's answer of an unexpected shape: still one line, never a stack trace.
    return fail(internal("unexpected", std::string("unexpected answer: ") + e.what()));
  }
}

}  // namespace vx::ctl

int main(int argc, char** argv) { return vx::ctl::run(argc, argv); }
