#include "agent/sandbox/netlink_sandboxes.h"

#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <spdlog/spdlog.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <system_error>
#include <thread>

#include "agent/dataplane/netlink_common.h"
#include "common/mac.h"
#include "common/unique_fd.h"

namespace vx::agent {

namespace {

using nl::find_link, nl::for_each, nl::netlink_error, nl::open_socket, nl::out_of_memory, nl::set_up, nl::to_ipv4,
    nl::to_lladdr, nl::to_nl_addr;

Error unknown_netns(const std::string& path, const std::string& why) {
  return not_found("unknown_netns", "cannot use network namespace " + path + ": " + why);
}

Error broken(const std::string& what) { return conflict("attachment_broken", what); }

// The namespace's file, opened; never the agent's own namespace. It is looked at through O_PATH
// first, which opens nothing: only a file of nsfs is then opened for real, so that a device or a
// FIFO at that path is never opened (as root, a device's open can arm or rewind it).
Result<UniqueFd> open_netns(const std::string& path) {
  UniqueFd handle(::open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!handle) return unknown_netns(path, std::strerror(errno));
  struct statfs where {};
  if (::fstatfs(handle.get(), &where) != 0) return unknown_netns(path, std::strerror(errno));
  if (where.f_type != NSFS_MAGIC) return unknown_netns(path, "not a namespace's file");
  std::string through = "/proc/self/fd/" + std::to_string(handle.get());
  UniqueFd fd(::open(through.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return unknown_netns(path, std::strerror(errno));
  if (::ioctl(fd.get(), NS_GET_NSTYPE) != CLONE_NEWNET) return unknown_netns(path, "not a network namespace");
  struct stat target {}, own {};
  if (::fstat(fd.get(), &target) != 0 || ::stat("/proc/thread-self/ns/net", &own) != 0) {
    return unknown_netns(path, std::strerror(errno));
  }
  if (target.st_dev == own.st_dev && target.st_ino == own.st_ino) {
    return bad_input("own_netns", path + " is the host's own network namespace, not a container's");
  }
  return fd;
}

// Runs `job` on a thread inside the namespace of `netns_fd` and waits for it: setns() changes the
// calling thread for good, so the thread ends with the job.
Status inside(int netns_fd, const std::string& path, const std::function<Status(nl_sock*)>& job) {
  Status out = Ok{};
  try {
    std::thread worker([&] {
      if (::setns(netns_fd, CLONE_NEWNET) != 0) {
        out = unknown_netns(path, std::string("entering it: ") + std::strerror(errno));
        return;
      }
      auto sk = open_socket();
      out = sk ? job(sk->get()) : Status(sk.error());
    });
    worker.join();
  } catch (const std::system_error& e) {
    return unavailable("no_thread", std::string("cannot start a thread: ") + e.what());
  }
  return out;
}

Result<nl::Link> require(nl_sock* sk, const std::string& name, const std::string& where) {
  auto link = find_link(sk, name);
  if (!link) return link.error();
  if (!*link) return broken("no interface " + name + " " + where);
  return link;
}

Status add_default_route(nl_sock* sk, int ifindex, Ipv4 gateway) {
  std::unique_ptr<rtnl_route, void (*)(rtnl_route*)> route(rtnl_route_alloc(), rtnl_route_put);
  if (!route) return out_of_memory("a route");
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (hop == nullptr) return out_of_memory("a next hop");
  nl::Addr any = to_nl_addr(Ipv4(0)), via = to_nl_addr(gateway);
  nl_addr_set_prefixlen(any.get(), 0);
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_dst(route.get(), any.get());
  rtnl_route_nh_set_ifindex(hop, ifindex);
  rtnl_route_nh_set_gateway(hop, via.get());
  rtnl_route_add_nexthop(route.get(), hop);  // the route owns it from here
  int err = rtnl_route_add(sk, route.get(), NLM_F_CREATE | NLM_F_EXCL);
  // Not a moment's trouble (kUnavailable, which CNI makes "try again later"): the runtime's own.
  if (err == -NLE_EXIST) {
    return conflict("default_route_exists",
                    "the namespace routes by default already (another plugin's interface?): chain vxlan-cni after that "
                    "plugin, which hands on its prevResult, or attach a namespace without one");
  }
  if (err < 0) {
    return netlink_error("adding the default route via " + gateway.to_string(), err);
  }
  return Ok{};
}

// Inside the namespace: loopback up, the interface's address, the interface up, the default route
// if the spec wants it.
Status configure_inside(nl_sock* sk, const VethSpec& spec) {
  auto loopback = require(sk, "lo", "inside");
  if (!loopback) return loopback.error();
  if (Status up = set_up(sk, loopback->get(), 0); !up) return up;
  auto link = require(sk, spec.ifname, "inside " + spec.netns);
  if (!link) return link.error();
  int ifindex = rtnl_link_get_ifindex(link->get());
  std::unique_ptr<rtnl_addr, void (*)(rtnl_addr*)> addr(rtnl_addr_alloc(), rtnl_addr_put);
  if (!addr) return out_of_memory("an address");
  nl::Addr local = to_nl_addr(spec.address);
  nl_addr_set_prefixlen(local.get(), spec.prefix_length);
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_local(addr.get(), local.get());
  if (int err = rtnl_addr_add(sk, addr.get(), 0); err < 0) {
    return netlink_error("adding " + spec.address.to_string() + " to " + spec.ifname, err);
  }
  if (Status up = set_up(sk, link->get(), 0); !up) return up;
  if (!spec.default_route) return Ok{};
  return add_default_route(sk, ifindex, spec.gateway);
}

Status create_pair(nl_sock* sk, const VethSpec& spec, int netns_fd) {
  nl::Link veth(rtnl_link_veth_alloc());
  if (!veth) return out_of_memory("a veth pair");
  nl::Link peer(rtnl_link_veth_get_peer(veth.get()));
  auto mac = to_lladdr(spec.mac);
  if (!mac) return mac.error();
  rtnl_link_set_name(veth.get(), spec.host_interface.c_str());
  rtnl_link_set_mtu(veth.get(), static_cast<unsigned>(spec.mtu));
  rtnl_link_set_name(peer.get(), spec.ifname.c_str());
  rtnl_link_set_mtu(peer.get(), static_cast<unsigned>(spec.mtu));
  rtnl_link_set_addr(peer.get(), mac->get());
  rtnl_link_set_ns_fd(peer.get(), netns_fd);
  int err = rtnl_link_add(sk, veth.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == -NLE_EXIST) {
    return conflict("interface_exists", spec.host_interface + " here or " + spec.ifname + " in " + spec.netns +
                                            " exists already");
  }
  if (err < 0) return netlink_error("creating veth " + spec.host_interface + " into " + spec.netns, err);
  return Ok{};
}

// The kernel ignores an alias given at creation: it is set, with the group that keeps the address,
// once the pair exists.
Status label_host_end(nl_sock* sk, const VethSpec& spec) {
  auto made = find_link(sk, spec.host_interface);
  if (!made || !*made) return netlink_error("finding the new " + spec.host_interface, -NLE_NODEV);
  nl::Link alias(rtnl_link_alloc());
  if (!alias) return out_of_memory("a link change");
  rtnl_link_set_ifalias(alias.get(), spec.label.c_str());
  rtnl_link_set_group(alias.get(), spec.address.value());
  if (int changed = rtnl_link_change(sk, made->get(), alias.get(), 0); changed < 0) {
    return netlink_error("labelling " + spec.host_interface, changed);
  }
  return Ok{};
}

Status attach_host_end(nl_sock* sk, const VethSpec& spec) {
  auto bridge = find_link(sk, spec.bridge);
  if (!bridge) return bridge.error();
  if (!*bridge) return unavailable("no_bridge", "bridge " + spec.bridge + " does not exist yet");
  auto host = require(sk, spec.host_interface, "on this host");
  if (!host) return host.error();
  return set_up(sk, host->get(), rtnl_link_get_ifindex(bridge->get()));
}

std::string mac_of(rtnl_link* link) { return nl::format_mac(rtnl_link_get_addr(link)).value_or(""); }

Status check_inside(nl_sock* sk, const VethSpec& spec) {
  auto link = require(sk, spec.ifname, "inside " + spec.netns);
  if (!link) return link.error();
  if (mac_of(link->get()) != spec.mac) return broken(spec.ifname + " has MAC " + mac_of(link->get()) + ", not " + spec.mac);
  if (!(rtnl_link_get_flags(link->get()) & IFF_UP)) return broken(spec.ifname + " is down");
  nl_cache* raw = nullptr;
  if (int err = rtnl_addr_alloc_cache(sk, &raw); err < 0) return netlink_error("listing addresses", err);
  nl::Cache cache(raw);
  bool found = false;
  int ifindex = rtnl_link_get_ifindex(link->get());
  for_each<rtnl_addr>(cache.get(), [&](rtnl_addr* addr) {
    found = found || (rtnl_addr_get_ifindex(addr) == ifindex && to_ipv4(rtnl_addr_get_local(addr)) == spec.address &&
                      rtnl_addr_get_prefixlen(addr) == spec.prefix_length);
  });
  if (!found) {
    return broken(spec.ifname + " lacks " + spec.address.to_string() + "/" + std::to_string(spec.prefix_length));
  }
  return Ok{};
}

}  // namespace

Status NetlinkSandboxes::attach(const VethSpec& spec) {
  auto netns = open_netns(spec.netns);
  if (!netns) return netns.error();
  auto sk = open_socket();
  if (!sk) return sk.error();
  if (Status made = create_pair(sk->get(), spec, netns->get()); !made) return made;
  Status done = label_host_end(sk->get(), spec);
  if (done) done = attach_host_end(sk->get(), spec);
  if (done) done = inside(netns->get(), spec.netns, [&spec](nl_sock* inner) { return configure_inside(inner, spec); });
  if (done) return done;
  if (Status undone = detach(spec.host_interface); !undone) {
    spdlog::warn("cannot take away the half-made pair {}: {}", spec.host_interface, undone.error().detail);
  }
  return done;
}

Status NetlinkSandboxes::detach(const std::string& host_interface) {
  auto sk = open_socket();
  if (!sk) return sk.error();
  auto link = find_link(sk->get(), host_interface);
  if (!link) return link.error();
  if (!*link) return Ok{};
  if (int err = rtnl_link_delete(sk->get(), link->get()); err < 0 && err != -NLE_NODEV) {
    return netlink_error("deleting " + host_interface, err);
  }
  return Ok{};
}

Result<std::vector<HostEnd>> NetlinkSandboxes::host_ends(const std::string& prefix) {
  auto sk = open_socket();
  if (!sk) return sk.error();
  nl_cache* raw = nullptr;
  if (int err = rtnl_link_alloc_cache(sk->get(), AF_UNSPEC, &raw); err < 0) return netlink_error("listing links", err);
  nl::Cache cache(raw);
  std::vector<HostEnd> ends;
  for_each<rtnl_link>(cache.get(), [&](rtnl_link* link) {
    const char* alias = rtnl_link_get_ifalias(link);
    if (alias != nullptr && std::string_view(alias).starts_with(prefix)) {
      ends.push_back({rtnl_link_get_name(link), alias, Ipv4(rtnl_link_get_group(link))});
    }
  });
  return ends;
}

Status NetlinkSandboxes::check(const VethSpec& spec) {
  auto sk = open_socket();
  if (!sk) return sk.error();
  auto host = require(sk->get(), spec.host_interface, "on this host");
  if (!host) return host.error();
  const char* alias = rtnl_link_get_ifalias(host->get());
  if (alias == nullptr || spec.label != alias) return broken(spec.host_interface + " is not labelled " + spec.label);
  auto bridge = find_link(sk->get(), spec.bridge);
  if (!bridge) return bridge.error();
  if (!*bridge || rtnl_link_get_master(host->get()) != rtnl_link_get_ifindex(bridge->get())) {
    return broken(spec.host_interface + " is not on bridge " + spec.bridge);
  }
  auto netns = open_netns(spec.netns);
  if (!netns) return netns.error();
  return inside(netns->get(), spec.netns, [&spec](nl_sock* inner) { return check_inside(inner, spec); });
}

}  // namespace vx::agent
