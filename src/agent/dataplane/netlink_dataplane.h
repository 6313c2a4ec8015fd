// The Dataplane on the kernel, through rtnetlink (libnl-route-3); it never runs `ip` or `bridge`.
// Every call opens a netlink socket of its own, so it acts in the network namespace of the calling
// thread at the time of the call: the agent calls it from the host's namespace, tests from a
// thread that entered a test namespace.
//
// Errors: an absent device is kNotFound "unknown_device"; a spec or entry that can never be valid
// is kBadInput (for isolate(), a bridge name that cannot be a device name: "invalid_device"); a
// device of the right name but another kind is kConflict "not_vxlan"; whatever the kernel refuses
// is kUnavailable "netlink_error", saying what was being done and libnl's reason.
//
// Isolation rules: isolate() programs IPv4 policy routing rules (RTM_NEWRULE), each
// "pref 100 iif BRIDGE to SUBNET prohibit proto 118". A rule is ours when BOTH its priority is
// kIsolationRulePriority and its protocol (FRA_PROTOCOL, "proto" in `ip -d rule show`) is
// kIsolationRuleProtocol, a number no routing daemon registers; rules of ours are recognised by
// those two alone, so a rule of ours in any other shape is removed, and no other rule is ever
// touched (`ip rule add` without "protocol" gives a rule protocol unspec, 0). Priority 100
// comes after the local table (0), so a container still reaches the host's own addresses, the
// other networks' gateway addresses included, and before main (32766), where the routes between
// the bridges live. FR_ACT_PROHIBIT rather than blackhole: the sender learns at once (ICMP
// "packet filtered") instead of waiting for a timeout. The kernel keeps the rule of a bridge that
// does not exist (yet) by name, "[detached]", and applies it once the bridge appears.
//
// Proxy mode (VxlanSpec::proxy): the vxlan driver answers an ARP request for an address it has a
// permanent neighbour entry for (add_neighbour) itself, so ARP for a known container never crosses
// the underlay. The kernel cannot change the flag of an existing device ("cannot change PROXY
// flag", EOPNOTSUPP), so it is part of the device's identity: a device whose flag differs is
// recreated like one with another VNI (its FDB and neighbour entries go with it).
//
// Quiet IPv6: ensure_vxlan sets net.ipv6.conf.<dev>.disable_ipv6 = 1 (through /proc/sys, there is
// no rtnetlink request for it) on the VXLAN device and its bridge, so that neither sends router
// solicitations, neighbour discovery or MLD of its own across the overlay. A new device is created
// down and only set up once its IPv6 is off. A kernel without IPv6 (no /proc/sys/net/ipv6), or a
// device IPv6 ignores (MTU below 1280, no conf entry), needs nothing.
//
// Neighbours: neighbours/add_neighbour/remove_neighbour work on the IPv4 neighbour (ARP) table of
// any device, a VXLAN one in practice; only permanent entries are listed. remove_neighbour removes
// the entry for the address only while it holds the entry's MAC: an entry replaced since by another
// MAC (the address now belongs to another container) is not the one asked for, and stays.
//
// Thread safety: the object holds no state, so calls from several threads at once are safe. Two
// concurrent ensure_vxlan for the same device still race (each checks, then creates); the loser
// fails with the kernel's "exists", and simply calling it again succeeds. Concurrent isolate calls
// never fail on each other's rules (an add the other made first, a removal it made first), but
// with different lists they can leave a mix of both: the agent makes them from one place.
#pragma once

#include <cstdint>

#include "agent/dataplane.h"

namespace vx::agent {

class NetlinkDataplane final : public Dataplane {
 public:
  static constexpr uint32_t kIsolationRulePriority = 100;
  static constexpr uint8_t kIsolationRuleProtocol = 118;

  Result<UnderlayInfo> underlay(const std::string& device) override;
  Status ensure_vxlan(const VxlanSpec& spec) override;
  // A missing device is {exists = false}, not an error.
  Result<VxlanState> vxlan_state(const std::string& device) override;
  Result<std::vector<FdbEntry>> fdb(const std::string& device) override;
  Status add_fdb(const std::string& device, const FdbEntry& entry) override;
  Status remove_fdb(const std::string& device, const FdbEntry& entry) override;
  Status isolate(const std::vector<IsolatedNetwork>& networks) override;
  Result<std::vector<NeighbourEntry>> neighbours(const std::string& device) override;
  Status add_neighbour(const std::string& device, const NeighbourEntry& entry) override;
  Status remove_neighbour(const std::string& device, const NeighbourEntry& entry) override;
  Status announce(const std::string& bridge, const NeighbourEntry& entry) override;
};

}  // namespace vx::agent
