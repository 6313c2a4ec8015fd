// The agent's CNI API over HTTP (proto/cni.h), from the configuration's agent_url and token_file:
// one request per call, each with a deadline; an add may set its network up on the host first, so
// it gets longer.
#pragma once

#include "cni/plugin.h"

namespace vx::cni {

Result<std::unique_ptr<AgentCalls>> connect_http(const proto::cni::NetConf& conf);

}  // namespace vx::cni
