// The IPAM's request bodies, parsed and validated before anything touches the store, so that bad
// input is answered with a precise 400 and changes nothing.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "ipam/host_registry.h"
#include "ipam/pool.h"
#include "ipam/store.h"

namespace vx::ipam {

// {"container_name", "host_id", "ip_address"?}; a wanted address must be a member of the pool.
Result<AllocateRequest> parse_allocate(std::string_view body, const PoolSpec& pool);

struct ReleaseRequest {
  std::string container_name;
  std::string host_id;  // empty: whichever host holds it
};

// {"container_name", "host_id"?}
Result<ReleaseRequest> parse_release(std::string_view body);

// {"host_id", "underlay_ip", "agent_url"}
Result<HostRegistration> parse_host_registration(std::string_view body);

struct EndpointRequest {
  std::string host_id;
  std::string mac_address;  // lower case
};

// {"host_id", "mac_address"}
Result<EndpointRequest> parse_endpoint(std::string_view body);

}  // namespace vx::ipam
