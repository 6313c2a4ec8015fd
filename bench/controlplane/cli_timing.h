// The commands an operator runs against the whole cluster, timed as the operator waits for them:
// vxctl as a process, from its start to its exit. Beside them, the same vxctl asking for one small
// answer, and the requests vxctl makes, sent on a connection of the benchmark's own: a slow command
// then says whether vxctl's start, the IPAM's answer or vxctl's work on that answer is slow.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "http_connection.h"

namespace cpbench {

// One run of a command: answers what it printed, or the body it was answered; throws when it failed.
using Command = std::function<boost::asio::awaitable<std::string>()>;

struct Timed {
  Timed(std::string name, Command command) : name(std::move(name)), command(std::move(command)) {}

  std::string name;  // as the report names it: "vxctl --json hosts", "GET /hosts"
  Command command;
  std::vector<double> ms;  // each run's wall-clock time
  std::string out;         // the last run's output
};

struct VxctlRuns {
  Timed hosts, json_hosts, stats;
  Timed baseline;                          // vxctl check NAME: its start, and one lookup in Redis
  Timed get_hosts, get_stats, get_health;  // what the IPAM takes to answer, without vxctl

  std::vector<Timed*> all() { return {&hosts, &json_hosts, &stats, &baseline, &get_hosts, &get_stats, &get_health}; }
};

// The program at `vxctl` pointed at the IPAM on 127.0.0.1:PORT (with the token of our environment,
// as the IPAM was given it), and `connection` for the requests. `registered` is a container's name.
VxctlRuns vxctl_runs(const std::string& vxctl, uint16_t port, HttpConnection& connection,
                     const std::string& registered);

// Runs every command `runs` times, taking turns, so that a noisy stretch of the machine falls on
// all of them alike rather than on one command's runs.
boost::asio::awaitable<void> time_in_turns(std::vector<Timed*> commands, size_t runs);

}  // namespace cpbench
