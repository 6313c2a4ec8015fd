// The IPAM's reading of an allocation: the wire's own checks (proto/ipam.h), then the one that
// needs this IPAM's configuration, so that bad input is a precise 400 and changes nothing.
#pragma once

#include <string_view>

#include "common/error.h"
#include "ipam/pool.h"
#include "ipam/store.h"

namespace vx::ipam {

// {"container_name", "host_id", "ip_address"?}; a wanted address must be a member of the pool.
Result<AllocateRequest> parse_allocate(std::string_view body, const PoolSpec& pool);

}  // namespace vx::ipam
