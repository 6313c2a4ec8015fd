// This agent's instance id: who it is, as opposed to which host it serves. It is made once, at
// random, and kept in the state directory, so that the agent keeps it across restarts and the IPAM
// can refuse a second agent that claims a live host's id (ipam/host_registry.h). A copy of the state
// directory is a copy of the identity: each host needs its own.
#pragma once

#include <string>

#include "common/error.h"

namespace vx::agent {

inline constexpr const char* kInstanceFile = "instance-id";

// The id in `state_dir`/instance-id, made (with the directory, mode 0700) when there is none. A
// file that holds no valid id is kBadInput "invalid_instance_file", never replaced: it may be
// another agent's, and a new id would let this one take that agent's host over.
Result<std::string> load_instance_id(const std::string& state_dir);

}  // namespace vx::agent
