// What a container name and a host id may be. Container names follow Docker's own rule, so a name
// the IPAM accepts is always one Docker accepts; host ids follow the same alphabet.
#pragma once

#include <string_view>

#include "common/error.h"

namespace vx::proto {

inline constexpr size_t kMinContainerName = 2;  // Docker refuses one-character names
inline constexpr size_t kMaxContainerName = 128;
inline constexpr size_t kMaxHostId = 64;

// [a-zA-Z0-9][a-zA-Z0-9_.-]+, kMinContainerName to kMaxContainerName characters.
Status validate_container_name(std::string_view name);

// The same alphabet, 1 to kMaxHostId characters.
Status validate_host_id(std::string_view host_id);

// The instance id an agent presents (common/http_types.h's kInstanceHeader): the same alphabet,
// 1 to kMaxHostId characters.
Status validate_instance_id(std::string_view instance);

// Each host's bridge address is a reservation in the registry named "vxlan-gateway.HOST"; the
// agents refuse such names for containers.
inline constexpr std::string_view kGatewayNamePrefix = "vxlan-gateway.";
inline bool is_gateway_name(std::string_view name) { return name.starts_with(kGatewayNamePrefix); }

}  // namespace vx::proto
