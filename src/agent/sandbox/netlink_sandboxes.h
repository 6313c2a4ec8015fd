// Sandboxes (cni/sandboxes.h) through libnl. The pair is made from this host's namespace with its
// inside end created directly in the runtime's namespace (IFLA_NET_NS_FD), so no interface ever
// shows up inside with a temporary name; what is set inside (address, route, loopback) is set on a
// fresh thread that enters the namespace and ends (probe/on_thread.h's reasoning), so no thread of
// the agent stays in it. The agent's own namespace is refused as a target: a caller could
// otherwise have the agent put an address and a default route on its host. Needs CAP_NET_ADMIN
// and CAP_SYS_ADMIN.
#pragma once

#include "agent/cni/sandboxes.h"

namespace vx::agent {

class NetlinkSandboxes : public Sandboxes {
 public:
  Status attach(const VethSpec& spec) override;
  Status detach(const std::string& host_interface) override;
  Result<std::vector<HostEnd>> host_ends(const std::string& prefix) override;
  Status check(const VethSpec& spec) override;
};

}  // namespace vx::agent
