#include "agent/dataplane/netlink_dataplane.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/rule.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "agent/dataplane/gratuitous_arp.h"
#include "agent/dataplane/netlink_common.h"
#include "common/mac.h"

namespace vx::agent {
namespace {

using nl::find_link, nl::for_each, nl::format_mac, nl::link_name, nl::netlink_error, nl::open_socket, nl::out_of_memory,
    nl::require_link, nl::to_ipv4, nl::to_lladdr, nl::to_nl_addr;

// libnl 3.7 sends IFLA_VXLAN_PORT as 4 bytes where the kernel reads 2 in network order. The kernel
// takes the first two (logging "attribute type 15 has an invalid length"), and those hold the port
// only on a little-endian machine.
static_assert(std::endian::native == std::endian::little, "libnl 3.7 sends the vxlan port wrongly on big-endian");

Error not_vxlan(const std::string& name) {
  return conflict("not_vxlan", "device '" + name + "' exists and is not a vxlan device");
}

std::string describe(const FdbEntry& entry) { return entry.mac + " dst " + entry.dst.to_string(); }
std::string describe(const NeighbourEntry& entry) { return entry.ip.to_string() + " lladdr " + entry.mac; }

// The ifindex of a VXLAN device; FDB calls check the kind first because on any other device the
// kernel would take the entry as an address for the device's own unicast filter.
Result<int> vxlan_ifindex(nl_sock* sk, const std::string& name) {
  auto link = require_link(sk, name);
  if (!link) return link.error();
  if (!rtnl_link_is_vxlan(link->get())) return not_vxlan(name);
  return rtnl_link_get_ifindex(link->get());
}

Result<std::vector<Ipv4>> ipv4_addresses(nl_sock* sk, int ifindex, const std::string& device) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_addr_alloc_cache(sk, &raw); err < 0) return netlink_error("listing addresses", err);
  nl::Cache cache(raw);
  std::vector<Ipv4> found;
  for_each<rtnl_addr>(cache.get(), [&](rtnl_addr* addr) {
    if (rtnl_addr_get_ifindex(addr) != ifindex) return;
    if (auto ip = to_ipv4(rtnl_addr_get_local(addr))) found.push_back(*ip);
  });
  if (found.empty()) return not_found("no_ipv4_address", "device '" + device + "' has no IPv4 address");
  return found;
}

// The attributes that say which tunnel a VXLAN device is. The kernel cannot change some of them
// in place, so a device that differs in any of them is recreated rather than patched. Proxy mode
// is one: the driver refuses IFLA_VXLAN_PROXY in a changelink ("cannot change PROXY flag").
struct Identity {
  uint32_t vni = 0;
  uint32_t port = 0;
  Ipv4 local;
  uint32_t underlay_ifindex = 0;
  bool proxy = false;

  bool operator==(const Identity&) const = default;
  std::string to_string() const {
    return "vni " + std::to_string(vni) + ", dstport " + std::to_string(port) + ", local " +
           local.to_string() + ", underlay #" + std::to_string(underlay_ifindex) + ", proxy " +
           (proxy ? "on" : "off");
  }
};

// Attributes the kernel does not report stay zero, so they count as different.
Identity identity_of(rtnl_link* vxlan) {
  Identity id;
  rtnl_link_vxlan_get_id(vxlan, &id.vni);
  rtnl_link_vxlan_get_port(vxlan, &id.port);
  rtnl_link_vxlan_get_link(vxlan, &id.underlay_ifindex);
  id.proxy = rtnl_link_vxlan_get_proxy(vxlan) > 0;  // negative when not reported
  nl_addr* raw = nullptr;
  if (rtnl_link_vxlan_get_local(vxlan, &raw) == 0) id.local = to_ipv4(nl::Addr(raw).get()).value_or(Ipv4());
  return id;
}

Identity identity_of(const VxlanSpec& spec, int underlay_ifindex) {
  return {spec.vni, spec.port, spec.local, static_cast<uint32_t>(underlay_ifindex), spec.proxy};
}

// The attributes ensure_vxlan sets on a new device and repairs on an existing one, in two groups:
// for an existing device the vxlan driver refuses IFLA_MTU next to vxlan attributes ("Cannot change
// mtu", EOPNOTSUPP), and libnl then retries as RTM_SETLINK, which drops the vxlan attributes
// without a word. So a repair sends each group on its own; a creation sends both at once.
void set_device_tunables(rtnl_link* link, const VxlanSpec& spec, int bridge_ifindex) {
  rtnl_link_set_mtu(link, spec.mtu);
  rtnl_link_set_master(link, bridge_ifindex);
  rtnl_link_set_flags(link, IFF_UP);
}

void set_vxlan_tunables(rtnl_link* link) {
  // Peers are programmed explicitly: with learning on, any sender on the underlay could claim a MAC.
  rtnl_link_vxlan_set_learning(link, 0);
}

// How `current` differs from each group, one phrase per attribute for the log; empty when it matches.
std::vector<std::string> device_drift(rtnl_link* current, const VxlanSpec& spec, int bridge_ifindex) {
  std::vector<std::string> off;
  if (int mtu = rtnl_link_get_mtu(current); mtu != spec.mtu) {
    off.push_back("mtu " + std::to_string(mtu) + " -> " + std::to_string(spec.mtu));
  }
  if (rtnl_link_get_master(current) != bridge_ifindex) off.push_back("master -> " + spec.bridge);
  if (!(rtnl_link_get_flags(current) & IFF_UP)) off.push_back("down -> up");
  return off;
}

std::vector<std::string> vxlan_drift(rtnl_link* current) {
  if (rtnl_link_vxlan_get_learning(current) != 0) return {"learning -> off"};
  return {};
}

std::string join(const std::vector<std::string>& phrases) {
  std::string out;
  for (const auto& phrase : phrases) out += (out.empty() ? "" : ", ") + phrase;
  return out;
}

Status check_spec(const VxlanSpec& spec) {
  if (spec.vni > VXLAN_ID_MAX) {
    return bad_input("invalid_vni", "vni " + std::to_string(spec.vni) + " is above " + std::to_string(VXLAN_ID_MAX));
  }
  // The kernel turns port 0 into its default, so the device would never match the spec.
  if (spec.port == 0) return bad_input("invalid_port", "the vxlan destination port must not be 0");
  return Ok{};
}

// Outer IPv4, UDP and VXLAN headers plus the inner Ethernet header.
constexpr int kVxlanOverhead = 50;

// The kernel creates a device with a larger MTU without complaint; every frame too big for the
// underlay is then dropped silently, the black hole where only small packets cross.
Status check_mtu(const VxlanSpec& spec, rtnl_link* underlay) {
  int limit = static_cast<int>(rtnl_link_get_mtu(underlay)) - kVxlanOverhead;
  if (spec.mtu <= limit) return Ok{};
  return bad_input("invalid_mtu", "mtu " + std::to_string(spec.mtu) + " does not fit underlay " + spec.underlay_device +
                                      ": at most " + std::to_string(limit) + " (its mtu less " +
                                      std::to_string(kVxlanOverhead) + " bytes of vxlan headers)");
}

// Creates the device down, every attribute in one request so that no half-configured device is
// ever visible; bring_up() follows once its IPv6 is quiet (see quiet_ipv6).
Status create_vxlan(nl_sock* sk, const VxlanSpec& spec, int underlay_ifindex, int bridge_ifindex) {
  nl::Link link(rtnl_link_vxlan_alloc());
  nl::Addr local = to_nl_addr(spec.local);
  if (!link || !local) return out_of_memory("a vxlan link");
  rtnl_link_set_name(link.get(), spec.device.c_str());
  rtnl_link_vxlan_set_id(link.get(), spec.vni);
  rtnl_link_vxlan_set_port(link.get(), spec.port);  // host byte order; see the static_assert on top
  rtnl_link_vxlan_set_local(link.get(), local.get());
  rtnl_link_vxlan_set_link(link.get(), underlay_ifindex);
  rtnl_link_vxlan_set_proxy(link.get(), spec.proxy ? 1 : 0);
  set_device_tunables(link.get(), spec, bridge_ifindex);
  rtnl_link_unset_flags(link.get(), IFF_UP);
  set_vxlan_tunables(link.get());
  if (int err = rtnl_link_add(sk, link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0) {
    return netlink_error("creating vxlan device " + spec.device, err);
  }
  spdlog::info("created {} ({}, mtu {}, master {}, learning off)", spec.device,
               identity_of(spec, underlay_ifindex).to_string(), spec.mtu, spec.bridge);
  return Ok{};
}

Status bring_up(nl_sock* sk, const std::string& device) {
  auto current = require_link(sk, device);
  if (!current) return current.error();
  return nl::set_up(sk, current->get());
}

Error sysctl_error(const std::string& doing, int err) {
  return unavailable("sysctl_error", doing + ": " + std::strerror(err));
}

// net.ipv6.conf.<device>.disable_ipv6 = 1, through /proc/sys (rtnetlink has no request for it;
// the file is that of the calling thread's network namespace). A kernel without IPv6 has no
// /proc/sys/net/ipv6; a device IPv6 ignores (MTU below 1280) has no conf entry: both need nothing.
Status quiet_ipv6(const std::string& device) {
  struct stat info {};
  if (stat("/proc/sys/net/ipv6", &info) != 0) {
    if (errno == ENOENT) return Ok{};
    return sysctl_error("looking for /proc/sys/net/ipv6", errno);
  }
  const std::string path = "/proc/sys/net/ipv6/conf/" + device + "/disable_ipv6";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      spdlog::debug("{} has no IPv6 configuration: nothing to disable", device);
      return Ok{};
    }
    return sysctl_error("reading " + path, errno);
  }
  char value[8] = {};
  ssize_t got = read(fd, value, sizeof value - 1);
  int read_errno = errno;
  close(fd);
  if (got < 0) return sysctl_error("reading " + path, read_errno);
  if (value[0] == '1') return Ok{};

  fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return sysctl_error("opening " + path + " to write it", errno);
  ssize_t put = write(fd, "1\n", 2);
  int write_errno = errno;
  close(fd);
  if (put != 2) return sysctl_error("writing 1 to " + path, put < 0 ? write_errno : EIO);
  spdlog::info("disabled IPv6 on {}", device);
  return Ok{};
}

// The VXLAN device and its bridge: both face the overlay. The noise is all that a failure leaves
// (a read-only /proc/sys: an agent in a container without --privileged), so it never stops the
// set-up; it is said once.
void quiet_overlay_ipv6(const VxlanSpec& spec) {
  static std::string said;
  for (const std::string& device : {spec.device, spec.bridge}) {
    Status quiet = quiet_ipv6(device);
    if (quiet || quiet.error().detail == said) continue;
    said = quiet.error().detail;
    spdlog::warn("IPv6 stays on for {}, which may send router solicitations across the overlay: {}", device, said);
  }
}

// The device's permanent IPv4 neighbour entries, sorted; learnt ones, NUD_NOARP ones (which the
// kernel makes for multicast and broadcast addresses) and proxy entries are left out.
Result<std::vector<NeighbourEntry>> permanent_neighbours(nl_sock* sk, int ifindex, const std::string& device) {
  nl_cache* raw = nullptr;
  if (int err = rtnl_neigh_alloc_cache(sk, &raw); err < 0) {
    return netlink_error("listing the neighbour entries of " + device, err);
  }
  nl::Cache cache(raw);
  std::vector<NeighbourEntry> entries;
  for_each<rtnl_neigh>(cache.get(), [&](rtnl_neigh* neigh) {
    int state = rtnl_neigh_get_state(neigh);
    if (rtnl_neigh_get_family(neigh) != AF_INET || rtnl_neigh_get_ifindex(neigh) != ifindex || state < 0 ||
        !(state & NUD_PERMANENT) || (state & NUD_NOARP) || (rtnl_neigh_get_flags(neigh) & NTF_PROXY)) {
      return;
    }
    auto ip = to_ipv4(rtnl_neigh_get_dst(neigh));
    auto mac = format_mac(rtnl_neigh_get_lladdr(neigh));
    if (ip && mac) entries.push_back({*ip, std::move(*mac)});
  });
  std::sort(entries.begin(), entries.end());
  return entries;
}

// The neighbour object naming the IPv4 entry for `ip` on the device, for adding and deleting it.
Result<nl::Neigh> arp_neigh(int ifindex, Ipv4 ip) {
  nl::Neigh neigh(rtnl_neigh_alloc());
  nl::Addr dst = to_nl_addr(ip);
  if (!neigh || !dst) return out_of_memory("a neighbour entry");
  rtnl_neigh_set_ifindex(neigh.get(), ifindex);
  if (int err = rtnl_neigh_set_dst(neigh.get(), dst.get()); err < 0) {
    return netlink_error("building a neighbour entry", err);
  }
  rtnl_neigh_set_family(neigh.get(), AF_INET);
  return neigh;
}

// The neighbour object for the entry on the device, with its MAC, for adding or replacing it.
Result<nl::Neigh> arp_neigh_at(nl_sock* sk, const std::string& device, const NeighbourEntry& entry) {
  auto lladdr = to_lladdr(entry.mac);
  if (!lladdr) return lladdr.error();
  auto link = require_link(sk, device);
  if (!link) return link.error();
  auto neigh = arp_neigh(rtnl_link_get_ifindex(link->get()), entry.ip);
  if (!neigh) return neigh.error();
  rtnl_neigh_set_lladdr(neigh->get(), lladdr->get());
  return neigh;
}

// The host's own ARP entry for the address on the device, moved to the MAC as a stale one: a
// replace without NLM_F_CREATE, so that the kernel makes none where it had none.
Status move_cached_neighbour(const std::string& device, const NeighbourEntry& entry) {
  auto sk = open_socket();
  if (!sk) return sk.error();
  auto neigh = arp_neigh_at(sk->get(), device, entry);
  if (!neigh) return neigh.error();
  rtnl_neigh_set_state(neigh->get(), NUD_STALE);
  int err = rtnl_neigh_add(sk->get(), neigh->get(), NLM_F_REPLACE);
  if (err == -NLE_OBJ_NOTFOUND) return Ok{};
  if (err < 0) return netlink_error("moving the cached entry of " + entry.ip.to_string() + " on " + device, err);
  spdlog::debug("neighbour {}: this host's cache now has {} at {}", device, entry.ip.to_string(), entry.mac);
  return Ok{};
}

// Reads the device back: a request the kernel acknowledged may still have been dropped in part
// (see set_device_tunables), and a silent half-repair would look like success forever.
Status verify_repair(nl_sock* sk, const VxlanSpec& spec, int bridge_ifindex) {
  auto after = require_link(sk, spec.device);
  if (!after) return after.error();
  auto still = device_drift(after->get(), spec, bridge_ifindex);
  auto vxlan_still = vxlan_drift(after->get());
  still.insert(still.end(), vxlan_still.begin(), vxlan_still.end());
  if (still.empty()) return Ok{};
  return unavailable("netlink_error", "updating vxlan device " + spec.device +
                                          ": the kernel accepted the change but did not apply " + join(still));
}

Status repair_vxlan(nl_sock* sk, rtnl_link* current, const VxlanSpec& spec, int bridge_ifindex) {
  struct Repair {
    std::vector<std::string> off;
    nl::Link changes;
  };
  Repair device{device_drift(current, spec, bridge_ifindex), nl::Link(rtnl_link_alloc())};
  Repair vxlan{vxlan_drift(current), nl::Link(rtnl_link_vxlan_alloc())};
  if (!device.changes || !vxlan.changes) return out_of_memory("a vxlan link");
  set_device_tunables(device.changes.get(), spec, bridge_ifindex);
  set_vxlan_tunables(vxlan.changes.get());

  std::vector<std::string> fixed;
  for (Repair* repair : {&device, &vxlan}) {
    if (repair->off.empty()) continue;
    if (int err = rtnl_link_change(sk, current, repair->changes.get(), 0); err < 0) {
      return netlink_error("updating vxlan device " + spec.device + " (" + join(repair->off) + ")", err);
    }
    fixed.insert(fixed.end(), repair->off.begin(), repair->off.end());
  }
  if (fixed.empty()) {
    spdlog::debug("{} already matches the spec", spec.device);
    return Ok{};
  }
  spdlog::info("updated {}: {}", spec.device, join(fixed));
  return verify_repair(sk, spec, bridge_ifindex);
}

// The neighbour object naming one FDB entry of the device, for both adding and deleting it.
Result<nl::Neigh> fdb_neigh(int ifindex, const FdbEntry& entry) {
  auto lladdr = to_lladdr(entry.mac);
  if (!lladdr) return lladdr.error();
  nl::Neigh neigh(rtnl_neigh_alloc());
  nl::Addr dst = to_nl_addr(entry.dst);
  if (!neigh || !dst) return out_of_memory("an fdb entry");
  rtnl_neigh_set_ifindex(neigh.get(), ifindex);
  rtnl_neigh_set_lladdr(neigh.get(), lladdr->get());
  // Before the family: libnl refuses a dst whose family differs from the neighbour's.
  if (int err = rtnl_neigh_set_dst(neigh.get(), dst.get()); err < 0) return netlink_error("building an fdb entry", err);
  rtnl_neigh_set_family(neigh.get(), AF_BRIDGE);
  rtnl_neigh_set_state(neigh.get(), NUD_PERMANENT);
  // The VXLAN device's own table, not the bridge's (NTF_MASTER).
  rtnl_neigh_set_flags(neigh.get(), NTF_SELF);
  return neigh;
}

// What adding or deleting one FDB entry needs: a socket and the entry on the checked device.
struct FdbRequest {
  nl::Socket sk;
  nl::Neigh neigh;
};

Result<FdbRequest> fdb_request(const std::string& device, const FdbEntry& entry) {
  auto sk = open_socket();
  if (!sk) return sk.error();
  auto ifindex = vxlan_ifindex(sk->get(), device);
  if (!ifindex) return ifindex.error();
  auto neigh = fdb_neigh(*ifindex, entry);
  if (!neigh) return neigh.error();
  return FdbRequest{std::move(*sk), std::move(*neigh)};
}

// Isolation rules (see netlink_dataplane.h): the wanted ones are (iif, dst) pairs, all with the
// same priority, protocol and action.
using Rule = std::unique_ptr<rtnl_rule, nl::Releaser<rtnl_rule_put>>;

struct IsolationRule {
  std::string iif;
  Cidr dst;
  bool operator==(const IsolationRule&) const = default;
  std::string to_string() const { return "iif " + iif + " to " + dst.to_string() + " prohibit"; }
};

Status check_networks(const std::vector<IsolatedNetwork>& networks) {
  for (const auto& network : networks) {
    // libnl would refuse a long one (NLE_RANGE), the kernel an empty one; either is a caller's bug.
    if (network.bridge.empty() || network.bridge.size() >= IFNAMSIZ) {
      return bad_input("invalid_device", "'" + network.bridge + "' is not a bridge name (1 to 15 characters)");
    }
  }
  return Ok{};
}

// Every bridge kept from every other network's subnet; a network's own subnet is switched on its
// bridge, not routed, so it needs no rule (and two entries naming one bridge are one network).
std::vector<IsolationRule> wanted_rules(const std::vector<IsolatedNetwork>& networks) {
  std::vector<IsolationRule> rules;
  for (const auto& from : networks) {
    for (const auto& to : networks) {
      if (from.bridge == to.bridge) continue;
      IsolationRule rule{from.bridge, to.subnet};
      if (std::find(rules.begin(), rules.end(), rule) == rules.end()) rules.push_back(std::move(rule));
    }
  }
  return rules;
}

bool is_ours(rtnl_rule* rule) {
  uint8_t protocol = 0;
  return rtnl_rule_get_family(rule) == AF_INET && rtnl_rule_get_prio(rule) == NetlinkDataplane::kIsolationRulePriority &&
         rtnl_rule_get_protocol(rule, &protocol) == 0 && protocol == NetlinkDataplane::kIsolationRuleProtocol;
}

std::optional<Cidr> to_cidr(nl_addr* addr) {
  auto ip = to_ipv4(addr);
  if (!ip) return std::nullopt;
  auto cidr = Cidr::parse(ip->to_string() + "/" + std::to_string(nl_addr_get_prefixlen(addr)));
  if (!cidr) return std::nullopt;
  return *cidr;
}

// The (iif, dst) of a rule of ours that has exactly the shape isolate() gives its rules: nothing
// selected but the input device and the destination, nothing done but prohibit.
std::optional<IsolationRule> shape_of(rtnl_rule* rule) {
  const char* iif = rtnl_rule_get_iif(rule);
  nl_addr* src = rtnl_rule_get_src(rule);
  if (rtnl_rule_get_action(rule) != FR_ACT_PROHIBIT || iif == nullptr || rtnl_rule_get_oif(rule) != nullptr ||
      (src != nullptr && nl_addr_get_prefixlen(src) != 0) || rtnl_rule_get_table(rule) != 0 ||
      rtnl_rule_get_mark(rule) != 0 || rtnl_rule_get_dsfield(rule) != 0 || rtnl_rule_get_goto(rule) != 0) {
    return std::nullopt;
  }
  auto dst = to_cidr(rtnl_rule_get_dst(rule));
  if (!dst) return std::nullopt;
  return IsolationRule{iif, *dst};
}

std::string describe(rtnl_rule* rule) {
  if (auto shape = shape_of(rule)) return shape->to_string();
  const char* iif = rtnl_rule_get_iif(rule);
  char dst[INET_ADDRSTRLEN + 4] = "all";
  if (nl_addr* addr = rtnl_rule_get_dst(rule)) nl_addr2str(addr, dst, sizeof dst);
  return std::string("iif ") + (iif ? iif : "any") + " to " + dst + " action " +
         std::to_string(rtnl_rule_get_action(rule));
}

Status add_isolation_rule(nl_sock* sk, const IsolationRule& wanted) {
  Rule rule(rtnl_rule_alloc());
  nl::Addr dst = to_nl_addr(wanted.dst.network());
  if (!rule || !dst) return out_of_memory("a routing rule");
  nl_addr_set_prefixlen(dst.get(), wanted.dst.prefix_length());
  rtnl_rule_set_family(rule.get(), AF_INET);  // before the address, which must match it
  if (int err = rtnl_rule_set_dst(rule.get(), dst.get()); err < 0) return netlink_error("building a routing rule", err);
  if (int err = rtnl_rule_set_iif(rule.get(), wanted.iif.c_str()); err < 0) {
    return netlink_error("building a routing rule", err);
  }
  rtnl_rule_set_prio(rule.get(), NetlinkDataplane::kIsolationRulePriority);
  rtnl_rule_set_protocol(rule.get(), NetlinkDataplane::kIsolationRuleProtocol);
  rtnl_rule_set_action(rule.get(), FR_ACT_PROHIBIT);
  // Without EXCL the kernel adds a second, identical rule; with it, a rule that a concurrent call
  // added a moment ago answers "exists", which is what was wanted.
  int err = rtnl_rule_add(sk, rule.get(), NLM_F_EXCL);
  if (err == -NLE_EXIST) return Ok{};
  if (err < 0) return netlink_error("adding routing rule " + wanted.to_string(), err);
  spdlog::info("isolation: added rule {}", wanted.to_string());
  return Ok{};
}

// Deletes the rule as the kernel reported it, every attribute included, so that the kernel's
// match (the first rule with all the attributes given) can only be this rule or its exact twin.
Status remove_isolation_rule(nl_sock* sk, rtnl_rule* rule) {
  int err = rtnl_rule_delete(sk, rule, 0);
  if (err == -NLE_OBJ_NOTFOUND) return Ok{};  // a concurrent call was first
  if (err < 0) return netlink_error("removing routing rule " + describe(rule), err);
  spdlog::info("isolation: removed rule {}", describe(rule));
  return Ok{};
}

}  // namespace

Result<UnderlayInfo> NetlinkDataplane::underlay(const std::string& device) {
  auto sk = open_socket();
  if (!sk) return sk.error();
  auto link = require_link(sk->get(), device);
  if (!link) return link.error();
  int ifindex = rtnl_link_get_ifindex(link->get());
  auto addresses = ipv4_addresses(sk->get(), ifindex, device);
  if (!addresses) return addresses.error();
  return UnderlayInfo{std::move(*addresses), static_cast<int>(rtnl_link_get_mtu(link->get())), ifindex};
}

Status NetlinkDataplane::ensure_vxlan(const VxlanSpec& spec) {
  if (auto valid = check_spec(spec); !valid) return valid;
  auto sk = open_socket();
  if (!sk) return sk.error();
  auto underlay = require_link(sk->get(), spec.underlay_device);
  if (!underlay) return underlay.error();
  if (auto fits = check_mtu(spec, underlay->get()); !fits) return fits;
  auto bridge = require_link(sk->get(), spec.bridge);
  if (!bridge) return bridge.error();
  auto existing = find_link(sk->get(), spec.device);
  if (!existing) return existing.error();

  int underlay_ifindex = rtnl_link_get_ifindex(underlay->get());
  int bridge_ifindex = rtnl_link_get_ifindex(bridge->get());
  if (*existing) {
    if (!rtnl_link_is_vxlan(existing->get())) return not_vxlan(spec.device);
    Identity have = identity_of(existing->get()), want = identity_of(spec, underlay_ifindex);
    if (have == want) {
      quiet_overlay_ipv6(spec);  // first: repairing may set the device up
      return repair_vxlan(sk->get(), existing->get(), spec, bridge_ifindex);
    }
    spdlog::warn("{} is {}; the spec wants {}: recreating it", spec.device, have.to_string(), want.to_string());
    if (int err = rtnl_link_delete(sk->get(), existing->get()); err < 0) {
      return netlink_error("deleting vxlan device " + spec.device + " to recreate it", err);
    }
  }
  if (auto created = create_vxlan(sk->get(), spec, underlay_ifindex, bridge_ifindex); !created) return created;
  // Down until then, so that it never sends a router solicitation or an MLD report.
  quiet_overlay_ipv6(spec);
  return bring_up(sk->get(), spec.device);
}

Result<VxlanState> NetlinkDataplane::vxlan_state(const std::string& device) {
  auto sk = open_socket();
  if (!sk) return sk.error();
  auto link = find_link(sk->get(), device);
  if (!link) return link.error();
  if (!*link) return VxlanState{};
  if (!rtnl_link_is_vxlan(link->get())) return not_vxlan(device);

  VxlanState state;
  state.exists = true;
  state.up = rtnl_link_get_flags(link->get()) & IFF_UP;
  state.mtu = static_cast<int>(rtnl_link_get_mtu(link->get()));
  rtnl_link_vxlan_get_id(link->get(), &state.vni);
  state.proxy = rtnl_link_vxlan_get_proxy(link->get()) > 0;
  if (int master = rtnl_link_get_master(link->get()); master > 0) {
    auto name = link_name(sk->get(), master);
    if (!name) return name.error();
    state.master = std::move(*name);
  }
  return state;
}

Result<std::vector<FdbEntry>> NetlinkDataplane::fdb(const std::string& device) {
  auto sk = open_socket();
  if (!sk) return sk.error();
  auto ifindex = vxlan_ifindex(sk->get(), device);
  if (!ifindex) return ifindex.error();
  // Without AF_ITER the dump asks for AF_UNSPEC only, and the kernel leaves bridge entries out.
  nl_cache* raw = nullptr;
  if (int err = rtnl_neigh_alloc_cache_flags(sk->get(), &raw, NL_CACHE_AF_ITER); err < 0) {
    return netlink_error("listing the forwarding database of " + device, err);
  }
  nl::Cache cache(raw);

  std::vector<FdbEntry> entries;
  for_each<rtnl_neigh>(cache.get(), [&](rtnl_neigh* neigh) {
    if (rtnl_neigh_get_family(neigh) != AF_BRIDGE || rtnl_neigh_get_ifindex(neigh) != *ifindex ||
        !(rtnl_neigh_get_flags(neigh) & NTF_SELF)) {
      return;
    }
    // The kernel's own entries (the device's MAC, multicast) have no remote destination.
    auto mac = format_mac(rtnl_neigh_get_lladdr(neigh));
    auto dst = to_ipv4(rtnl_neigh_get_dst(neigh));
    if (mac && dst) entries.push_back({std::move(*mac), *dst});
  });
  std::sort(entries.begin(), entries.end());
  spdlog::debug("{} has {} fdb entries with a remote destination", device, entries.size());
  return entries;
}

Status NetlinkDataplane::add_fdb(const std::string& device, const FdbEntry& entry) {
  auto request = fdb_request(device, entry);
  if (!request) return request.error();
  // Flooding goes to every peer, one entry each; a unicast MAC lives behind exactly one peer.
  bool flood = entry.mac == kFloodMac;
  int flags = NLM_F_CREATE | (flood ? NLM_F_APPEND : NLM_F_REPLACE);
  if (int err = rtnl_neigh_add(request->sk.get(), request->neigh.get(), flags); err < 0) {
    return netlink_error("adding fdb entry " + describe(entry) + " to " + device, err);
  }
  spdlog::info("fdb {}: {} {}", device, flood ? "appended" : "set", describe(entry));
  return Ok{};
}

Status NetlinkDataplane::remove_fdb(const std::string& device, const FdbEntry& entry) {
  auto request = fdb_request(device, entry);
  if (!request) return request.error();
  int err = rtnl_neigh_delete(request->sk.get(), request->neigh.get(), 0);
  if (err == -NLE_OBJ_NOTFOUND) {
    spdlog::debug("fdb {}: {} already absent", device, describe(entry));
    return Ok{};
  }
  if (err < 0) return netlink_error("removing fdb entry " + describe(entry) + " from " + device, err);
  // The kernel also answers success, removing nothing, when the MAC is there at other destinations.
  spdlog::info("fdb {}: removed {}", device, describe(entry));
  return Ok{};
}

Status NetlinkDataplane::isolate(const std::vector<IsolatedNetwork>& networks) {
  if (auto valid = check_networks(networks); !valid) return valid;
  std::vector<IsolationRule> wanted = wanted_rules(networks);
  auto sk = open_socket();
  if (!sk) return sk.error();
  nl_cache* raw = nullptr;
  if (int err = rtnl_rule_alloc_cache(sk->get(), AF_INET, &raw); err < 0) {
    return netlink_error("listing routing rules", err);
  }
  nl::Cache cache(raw);

  // Each wanted rule found once is kept; every other rule of ours goes, a second copy included.
  std::vector<bool> present(wanted.size(), false);
  std::vector<rtnl_rule*> unwanted;  // borrowed from the cache
  for_each<rtnl_rule>(cache.get(), [&](rtnl_rule* rule) {
    if (!is_ours(rule)) return;
    if (auto shape = shape_of(rule)) {
      auto it = std::find(wanted.begin(), wanted.end(), *shape);
      if (it != wanted.end() && !present[it - wanted.begin()]) {
        present[it - wanted.begin()] = true;
        return;
      }
    }
    unwanted.push_back(rule);
  });

  // Adding first: a network is never open while its rules are rearranged.
  size_t added = 0;
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (present[i]) continue;
    if (auto done = add_isolation_rule(sk->get(), wanted[i]); !done) return done;
    ++added;
  }
  for (rtnl_rule* rule : unwanted) {
    if (auto done = remove_isolation_rule(sk->get(), rule); !done) return done;
  }
  spdlog::debug("isolation: {} networks, {} rules ({} added, {} removed)", networks.size(), wanted.size(), added,
                unwanted.size());
  return Ok{};
}

Result<std::vector<NeighbourEntry>> NetlinkDataplane::neighbours(const std::string& device) {
  auto sk = open_socket();
  if (!sk) return sk.error();
  auto link = require_link(sk->get(), device);
  if (!link) return link.error();
  auto entries = permanent_neighbours(sk->get(), rtnl_link_get_ifindex(link->get()), device);
  if (entries) spdlog::debug("{} has {} permanent neighbour entries", device, entries->size());
  return entries;
}

Status NetlinkDataplane::add_neighbour(const std::string& device, const NeighbourEntry& entry) {
  auto sk = open_socket();
  if (!sk) return sk.error();
  auto neigh = arp_neigh_at(sk->get(), device, entry);
  if (!neigh) return neigh.error();
  rtnl_neigh_set_state(neigh->get(), NUD_PERMANENT);
  NeighbourEntry normal{entry.ip, *parse_mac(entry.mac)};
  if (int err = rtnl_neigh_add(sk->get(), neigh->get(), NLM_F_CREATE | NLM_F_REPLACE); err < 0) {
    return netlink_error("adding neighbour entry " + describe(normal) + " to " + device, err);
  }
  spdlog::info("neighbour {}: set {}", device, describe(normal));
  return Ok{};
}

Status NetlinkDataplane::remove_neighbour(const std::string& device, const NeighbourEntry& entry) {
  auto mac = parse_mac(entry.mac);
  if (!mac) return mac.error();
  NeighbourEntry normal{entry.ip, *mac};
  auto sk = open_socket();
  if (!sk) return sk.error();
  auto link = require_link(sk->get(), device);
  if (!link) return link.error();
  int ifindex = rtnl_link_get_ifindex(link->get());
  // The kernel deletes by address alone: check first that the entry is the one asked for.
  auto present = permanent_neighbours(sk->get(), ifindex, device);
  if (!present) return present.error();
  auto it = std::find_if(present->begin(), present->end(), [&](const auto& e) { return e.ip == entry.ip; });
  if (it == present->end()) {
    spdlog::debug("neighbour {}: {} already absent", device, describe(normal));
    return Ok{};
  }
  if (it->mac != normal.mac) {
    spdlog::info("neighbour {}: not removing {}: the address is now at {}", device, describe(normal), it->mac);
    return Ok{};
  }
  auto neigh = arp_neigh(ifindex, entry.ip);
  if (!neigh) return neigh.error();
  int err = rtnl_neigh_delete(sk->get(), neigh->get(), 0);
  if (err == -NLE_OBJ_NOTFOUND) return Ok{};  // a concurrent call was first
  if (err < 0) return netlink_error("removing neighbour entry " + describe(normal) + " from " + device, err);
  spdlog::info("neighbour {}: removed {}", device, describe(normal));
  return Ok{};
}

Status NetlinkDataplane::announce(const std::string& bridge, const NeighbourEntry& entry) {
  // Each half is worth doing without the other.
  Status sent = send_gratuitous_arp(bridge, entry.ip, entry.mac);
  Status moved = move_cached_neighbour(bridge, entry);
  return sent ? moved : sent;
}

}  // namespace vx::agent
