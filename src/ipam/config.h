// The IPAM's configuration: its command line, each flag with an environment variable standing in
// for it (VXLAN_IPAM_LISTEN, VXLAN_IPAM_REDIS, ...), parsed and validated before anything starts.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/error.h"
#include "common/host_port.h"
#include "ipam/pool.h"
#include "ipam/redis_url.h"

namespace vx {

struct IpamConfig {
  HostPort listen;
  RedisEndpoint redis;
  PoolSpec pool;
  std::string log_level;
  int threads;
  std::chrono::milliseconds redis_timeout;
  std::chrono::milliseconds host_ttl;
  std::string token;  // empty: no authentication (auth.h)
};

// Ok(config), or an exit code: 0 after --help, 2 after an error already printed.
struct ExitCode {
  int code;
};
std::variant<IpamConfig, ExitCode> parse_ipam_config(int argc, char** argv);

}  // namespace vx
