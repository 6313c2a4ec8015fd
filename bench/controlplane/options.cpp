#include "options.h"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace cpbench {

namespace {

constexpr const char* kUsage = R"(usage: controlplane_bench --port PORT --ipam-pid PID --redis-pid PID [options]
Drives the vxlan-ipam on 127.0.0.1:PORT (with its Redis): hosts that heartbeat, containers, the vxctl
beside this program, watchers long-polling GET /peers?since=R, and prints each number beside its
target. bench/controlplane_bench starts both daemons and passes --port, --ipam-pid, --redis-pid and
--host-ttl-ms itself.
  --hosts N          hosts registered and heartbeating every 500 ms              (1000)
  --containers N     containers registered: address, then MAC                     (60000)
  --watchers N       long-polling watchers, one connection each                   (1000)
  --allocations N    allocations per latency measurement                          (2000)
  --probes N         endpoints timed until every watcher saw them                 (50)
  --cpu-seconds N    each idle CPU measurement                                    (10)
  --host-ttl-ms N    the IPAM's --host-ttl-ms: heartbeats pause for --cpu-seconds (15000)
  --client-nice N    the nice, 0-19, of the hosts and watchers (not of the timed requests):  (0)
                     real agents run on other hosts and take no CPU from the IPAM and Redis
  --quick            a smoke run: 50 hosts, 2000 containers, 50 watchers, 500 allocations,
                     20 probes, 3 s CPU measurements (flags after it still apply)
)";

bool parse_number(std::string_view text, size_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

void make_quick(Options& options) {
  options.hosts = 50;
  options.containers = 2000;
  options.watchers = 50;
  options.allocations = 500;
  options.probes = 20;
  options.cpu_window = std::chrono::seconds(3);
}

// Sets the option FLAG names to VALUE; false when FLAG is unknown or VALUE no number in its range.
bool set_option(Options& options, std::string_view flag, size_t value) {
  if (flag == "--port" && value > 0 && value < 65536) {
    options.port = static_cast<uint16_t>(value);
  } else if (flag == "--ipam-pid" && value > 0) {
    options.ipam_pid = static_cast<pid_t>(value);
  } else if (flag == "--redis-pid" && value > 0) {
    options.redis_pid = static_cast<pid_t>(value);
  } else if (flag == "--hosts" && value > 0) {
    options.hosts = value;
  } else if (flag == "--containers") {
    options.containers = value;
  } else if (flag == "--watchers" && value > 0) {
    options.watchers = value;
  } else if (flag == "--allocations" && value > 0) {
    options.allocations = value;
  } else if (flag == "--probes" && value > 0) {
    options.probes = value;
  } else if (flag == "--cpu-seconds" && value > 0) {
    options.cpu_window = std::chrono::seconds(value);
  } else if (flag == "--host-ttl-ms" && value > 0) {
    options.host_ttl = std::chrono::milliseconds(value);
  } else if (flag == "--client-nice" && value <= 19) {
    options.client_nice = static_cast<int>(value);
  } else {
    return false;
  }
  return true;
}

int fail(const std::string& why) {
  std::fprintf(stderr, "controlplane_bench: %s\n%s", why.c_str(), kUsage);
  return 2;
}

}  // namespace

std::variant<Options, int> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (flag == "--quick") {
      make_quick(options);
      continue;
    }
    size_t value = 0;
    if (i + 1 >= argc || !parse_number(argv[i + 1], value) || !set_option(options, flag, value)) {
      return fail("bad option " + std::string(flag) + (i + 1 < argc ? " " + std::string(argv[i + 1]) : ""));
    }
    ++i;
  }
  if (options.port == 0 || options.ipam_pid == 0 || options.redis_pid == 0) {
    return fail("--port, --ipam-pid and --redis-pid are required");
  }
  if (options.cpu_window + std::chrono::seconds(3) >= options.host_ttl) {
    return fail("--cpu-seconds must be 3 s shorter than --host-ttl-ms: heartbeats pause for that long");
  }
  return options;
}

}  // namespace cpbench
