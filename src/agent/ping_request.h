// The body of POST /container/{name}/ping, read into typed fields with a precise 400 for each
// problem: {"target": NAME or IPv4, "count": 1..10 (3), "timeout_ms": 100..5000 (1000),
// "port": 1..65535 (none: ICMP)}. A target made of digits and dots only is meant as an address
// and must be a unicast IPv4 one (invalid_target otherwise); anything else must be a container
// name. Absent and null optional fields take their defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/ipv4.h"

namespace vx::agent {

struct PingRequest {
  std::string target;              // as given
  std::optional<Ipv4> target_ip;   // when the target is an address; else it names a container
  int count = 3;
  std::chrono::milliseconds timeout{1000};
  std::optional<uint16_t> port;    // TCP connects to this port instead of ICMP echoes
};

Result<PingRequest> parse_ping_request(std::string_view body);

}  // namespace vx::agent
