// The Dataplane on the kernel, through rtnetlink (libnl-route-3); it never runs `ip` or `bridge`.
// Every call opens a netlink socket of its own, so it acts in the network namespace of the calling
// thread at the time of the call: the agent calls it from the host's namespace, tests from a
// thread that entered a test namespace.
//
// Errors: an absent device is kNotFound "unknown_device"; a spec or entry that can never be valid
// is kBadInput; a device of the right name but another kind is kConflict "not_vxlan"; whatever
// the kernel refuses is kUnavailable "netlink_error", saying what was being done and libnl's reason.
//
// Thread safety: the object holds no state, so calls from several threads at once are safe. Two
// concurrent ensure_vxlan for the same device still race (each checks, then creates); the loser
// fails with the kernel's "exists", and simply calling it again succeeds.
#pragma once

#include "agent/dataplane.h"

namespace vx::agent {

class NetlinkDataplane final : public Dataplane {
 public:
  Result<UnderlayInfo> underlay(const std::string& device) override;
  Status ensure_vxlan(const VxlanSpec& spec) override;
  // A missing device is {exists = false}, not an error.
  Result<VxlanState> vxlan_state(const std::string& device) override;
  Result<std::vector<FdbEntry>> fdb(const std::string& device) override;
  Status add_fdb(const std::string& device, const FdbEntry& entry) override;
  Status remove_fdb(const std::string& device, const FdbEntry& entry) override;
};

}  // namespace vx::agent
