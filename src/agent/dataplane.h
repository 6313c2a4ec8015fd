// The agent's view of its host's kernel: the underlay device, the VXLAN device and its forwarding
// database, and the rules that keep the host's overlay networks apart. The real one uses libnl
// (dataplane/netlink_dataplane.h); tests may use a fake. Calls are local and synchronous; errors
// are values (kUnavailable when the kernel refuses, with the reason; kNotFound "unknown_device").
#pragma once

#include <algorithm>

#include <string>
#include <vector>

#include "common/error.h"
#include "common/ipv4.h"
#include "common/mac.h"  // kFloodMac

namespace vx::agent {

struct UnderlayInfo {
  std::vector<Ipv4> addresses;  // the device's IPv4 addresses in the kernel's order; never empty
  int mtu = 0;
  int ifindex = 0;

  bool holds(Ipv4 ip) const { return std::find(addresses.begin(), addresses.end(), ip) != addresses.end(); }
};

struct VxlanSpec {
  std::string device = "vxlan0";
  uint32_t vni = 100;
  uint16_t port = 4789;  // UDP destination port
  Ipv4 local;            // this host's underlay address
  std::string underlay_device;
  int mtu = 1450;
  std::string bridge;    // the master it is enslaved to
  // The device answers ARP requests itself from its neighbour entries (IFLA_VXLAN_PROXY), so that
  // no ARP for a known container crosses the underlay.
  bool proxy = true;
};

struct VxlanState {
  bool exists = false;
  bool up = false;
  std::string master;  // name of the bridge it is enslaved to, empty if none
  uint32_t vni = 0;
  int mtu = 0;
  bool proxy = false;
};

// One entry of the VXLAN device's own forwarding database (NTF_SELF), pointing a MAC at a remote
// underlay address. kFloodMac entries send broadcast, unknown unicast and multicast to a peer.
struct FdbEntry {
  std::string mac;  // lower-case "aa:bb:cc:dd:ee:ff"
  Ipv4 dst;
  auto operator<=>(const FdbEntry&) const = default;
};

// A permanent IPv4 neighbour entry of a VXLAN device: the MAC that an ARP request for `ip` is
// answered with on this host (the device's proxy mode).
struct NeighbourEntry {
  Ipv4 ip;
  std::string mac;  // lower-case "aa:bb:cc:dd:ee:ff"
  auto operator<=>(const NeighbourEntry&) const = default;
};

// One overlay network on this host as isolate() sees it: the Linux bridge its containers are
// attached to (which need not exist yet) and its IPv4 subnet.
struct IsolatedNetwork {
  std::string bridge;
  Cidr subnet;
  bool operator==(const IsolatedNetwork&) const = default;
};

class Dataplane {
 public:
  virtual ~Dataplane() = default;

  virtual Result<UnderlayInfo> underlay(const std::string& device) = 0;

  // Creates the device, or brings an existing one to the spec (recreating it when an attribute
  // that cannot change in place differs), enslaves it to spec.bridge and sets it up. Idempotent.
  virtual Status ensure_vxlan(const VxlanSpec& spec) = 0;
  virtual Result<VxlanState> vxlan_state(const std::string& device) = 0;

  // Entries of `device` that have a remote destination; entries the kernel adds by itself
  // (the device's own MAC, permanent local entries) are left out.
  virtual Result<std::vector<FdbEntry>> fdb(const std::string& device) = 0;
  // Flood entries are appended (one per peer); a MAC entry replaces any entry for that MAC.
  virtual Status add_fdb(const std::string& device, const FdbEntry& entry) = 0;
  // Removing an absent entry is Ok.
  virtual Status remove_fdb(const std::string& device, const FdbEntry& entry) = 0;

  // Keeps the networks on this host apart, routing through the host included: for every two
  // networks A and B with different bridges, what enters from A's bridge towards B's subnet is
  // refused ("iif A.bridge to B.subnet prohibit": the sender gets an ICMP "administratively
  // prohibited" at once). Makes the kernel's isolation rules exactly those for `networks`: adds
  // what is missing, removes rules of ours that are no longer wanted (those of a bridge that is
  // gone too), and leaves every other rule alone; isolate({}) removes all of ours. A rule for a
  // bridge that does not exist yet waits for it. Idempotent. IPv4 only; kBadInput for a bridge
  // name that cannot be a device name.
  virtual Status isolate(const std::vector<IsolatedNetwork>& networks) = 0;

  // The device's permanent IPv4 neighbour entries; those the kernel learnt or made are left out.
  virtual Result<std::vector<NeighbourEntry>> neighbours(const std::string& device) = 0;
  // Adds a permanent entry, replacing any entry for that address.
  virtual Status add_neighbour(const std::string& device, const NeighbourEntry& entry) = 0;
  // Removing an absent entry is Ok.
  virtual Status remove_neighbour(const std::string& device, const NeighbourEntry& entry) = 0;

  // Tells the containers on `bridge` that entry.ip is now at entry.mac: one gratuitous ARP
  // broadcast on the bridge, never onto the underlay (the VXLAN device's proxy mode keeps ARP
  // local). A container that restarts gets a new MAC from Docker for its old address, and one
  // address may go to another container; without this, peers that talked to it keep the old MAC
  // in their ARP caches for up to a minute and cannot reach it. The host's own cache never hears
  // a frame it sends: its entry for the address on the bridge, if it has one, is moved to the MAC
  // (stale, for the kernel to confirm at its next use); none is made. One pinned by hand
  // (permanent) moves too: the overlay's addresses are the registry's. kNotFound "unknown_device"
  // when the bridge does not exist.
  virtual Status announce(const std::string& bridge, const NeighbourEntry& entry) = 0;
};

}  // namespace vx::agent
