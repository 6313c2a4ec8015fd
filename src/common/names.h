// What a container name and a host id may be. Container names follow Docker's own rule, so a name
// the IPAM accepts is always one Docker accepts; host ids follow the same alphabet.
#pragma once

#include <string_view>

#include "common/error.h"

namespace vx {

inline constexpr size_t kMaxContainerName = 128;
inline constexpr size_t kMaxHostId = 64;

// [a-zA-Z0-9][a-zA-Z0-9_.-]*, 1 to kMaxContainerName characters.
Status validate_container_name(std::string_view name);

// The same alphabet, 1 to kMaxHostId characters.
Status validate_host_id(std::string_view host_id);

}  // namespace vx
