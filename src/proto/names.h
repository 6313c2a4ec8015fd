// What a container name and a host id may be. Container names follow Docker's own rule, so a name
// the IPAM accepts is always one Docker accepts; host ids follow the same alphabet.
#pragma once

#include <string>
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

// The network every cluster has, the seed's, with its keys and VNI; the one a request without a
// network means.
inline constexpr std::string_view kDefaultNetwork = "vxlan-net";
inline constexpr size_t kMaxNetworkName = 32;

// [a-zA-Z0-9][a-zA-Z0-9_-]*, 1 to kMaxNetworkName characters: no '.' nor ':', so that a network's
// name can sit in a gateway's name and in a Redis key without ambiguity.
Status validate_network_name(std::string_view network);

// Each host's bridge address on a network is a reservation in the registry: "vxlan-gateway.HOST"
// on the default network (the seed's name), "vxlan-gateway-NETWORK.HOST" on another. The agents
// refuse such names for containers.
inline constexpr std::string_view kGatewayNamePrefix = "vxlan-gateway.";
inline constexpr std::string_view kNetworkGatewayPrefix = "vxlan-gateway-";
std::string gateway_name(std::string_view host_id, std::string_view network);
inline bool is_gateway_name(std::string_view name) {
  return name.starts_with(kGatewayNamePrefix) || name.starts_with(kNetworkGatewayPrefix);
}

// A container Docker starts on a cluster network by itself (`docker run --network`) gets its
// address before anyone knows its name (agent/docker_plugin): it is held under
// "vxlan-docker.HOST.ID" until the agent renames it after the container. No container has such a
// name.
inline constexpr std::string_view kDockerEndpointPrefix = "vxlan-docker.";
inline bool is_docker_endpoint_name(std::string_view name) { return name.starts_with(kDockerEndpointPrefix); }

// The names the agents keep for themselves (the two above): no container may go by one, and no
// container's removal or disconnect releases one.
inline bool is_agents_name(std::string_view name) { return is_gateway_name(name) || is_docker_endpoint_name(name); }

}  // namespace vx::proto
