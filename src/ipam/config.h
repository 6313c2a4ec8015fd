// The IPAM's configuration: its command line, each flag with an environment variable standing in
// for it (VXLAN_IPAM_LISTEN, VXLAN_IPAM_REDIS, ...), parsed and validated before anything starts.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/command_line.h"
#include "common/error.h"
#include "common/host_port.h"
#include "ipam/pool.h"
#include "ipam/redis/url.h"

namespace vx::ipam {

struct IpamConfig {
  HostPort listen;
  RedisEndpoint redis;
  PoolSpec pool;
  std::string log_level;
  int threads;
  std::chrono::milliseconds redis_timeout;
  std::chrono::milliseconds host_ttl;
  std::string token;  // empty: no authentication (auth.h)
  size_t max_connections;
  std::chrono::milliseconds watch_pace;
  std::chrono::milliseconds quarantine;  // after Redis lost the registry: only exact addresses
  int redis_ack_replicas;  // replicas an allocation must reach before it is answered (WAIT)
  std::chrono::milliseconds host_expiry;  // a host silent this long is removed for good; 0: never
  std::string log_format = "text";  // or "json" (common/logging.h)
  bool open_metrics = false;         // GET /metrics without the token (common/auth.h)
};

// The configuration, or the status to exit with: 0 after --help, 2 after an error already printed.
std::variant<IpamConfig, ExitCode> parse_ipam_config(int argc, char** argv);

}  // namespace vx::ipam
