// The command line of controlplane_bench.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <variant>

namespace cpbench {

struct Options {
  uint16_t port = 0;  // the IPAM on 127.0.0.1
  pid_t ipam_pid = 0;
  pid_t redis_pid = 0;
  size_t hosts = 1000;
  size_t containers = 60000;
  size_t watchers = 1000;
  size_t allocations = 2000;  // per latency measurement
  size_t probes = 50;
  std::chrono::seconds cpu_window{10};
  std::chrono::milliseconds host_ttl{15000};  // the IPAM's --host-ttl-ms: the heartbeat pause must stay under it
  int client_nice = 0;  // of the main thread: the hosts' and watchers' side of the benchmark
};

// The options, or the exit status after printing the usage (0 for --help) or what was wrong (2).
std::variant<Options, int> parse_options(int argc, char** argv);

}  // namespace cpbench
