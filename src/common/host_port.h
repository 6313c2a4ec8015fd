// "ADDRESS:PORT" as daemons take it for --listen.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace vx {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// The port may be 0 (any free port); the address must be an IPv4 literal.
Result<HostPort> parse_listen_address(std::string_view text);

}  // namespace vx
