#include "agent/dataplane/netlink_common.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cstdio>
#include <cstring>

#include "common/mac.h"

namespace vx::agent::nl {

Error netlink_error(const std::string& doing, int err) {
  return unavailable("netlink_error", doing + ": " + nl_geterror(err));
}

Error unknown_device(const std::string& name) {
  return not_found("unknown_device", "no device named '" + name + "' in this network namespace");
}

Error out_of_memory(const std::string& what) { return netlink_error("allocating " + what, NLE_NOMEM); }

Result<Socket> open_socket() {
  Socket sk(nl_socket_alloc());
  if (!sk) return out_of_memory("a netlink socket");
  if (int err = nl_connect(sk.get(), NETLINK_ROUTE); err < 0) return netlink_error("connecting to rtnetlink", err);
  return sk;
}

Addr to_nl_addr(Ipv4 ip) {
  uint32_t network_order = htonl(ip.value());
  return Addr(nl_addr_build(AF_INET, &network_order, sizeof network_order));
}

std::optional<Ipv4> to_ipv4(nl_addr* addr) {
  if (addr == nullptr || nl_addr_get_family(addr) != AF_INET || nl_addr_get_len(addr) != 4) return std::nullopt;
  uint32_t network_order = 0;
  std::memcpy(&network_order, nl_addr_get_binary_addr(addr), sizeof network_order);
  return Ipv4(ntohl(network_order));
}

std::optional<std::string> format_mac(nl_addr* lladdr) {
  if (lladdr == nullptr || nl_addr_get_len(lladdr) != 6) return std::nullopt;
  auto* b = static_cast<const uint8_t*>(nl_addr_get_binary_addr(lladdr));
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return text;
}

Result<Addr> to_lladdr(const std::string& text) {
  auto mac = parse_mac(text);
  if (!mac) return mac.error();
  nl_addr* raw = nullptr;
  if (int err = nl_addr_parse(mac->c_str(), AF_LLC, &raw); err < 0) return netlink_error("parsing MAC " + *mac, err);
  return Addr(raw);
}
Result<Link> find_link(nl_sock* sk, const std::string& name) {
  // The kernel answers a longer name with "invalid argument", which would read as a kernel failure.
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return bad_input("invalid_device", "'" + name + "' is not a device name (1 to 15 characters)");
  }
  rtnl_link* link = nullptr;
  int err = rtnl_link_get_kernel(sk, 0, name.c_str(), &link);
  if (err == -NLE_NODEV) return Link();
  if (err < 0) return netlink_error("looking up device " + name, err);
  return Link(link);
}

Result<Link> require_link(nl_sock* sk, const std::string& name) {
  auto link = find_link(sk, name);
  if (link.ok() && !*link) return unknown_device(name);
  return link;
}

Result<std::string> link_name(nl_sock* sk, int ifindex) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sk, ifindex, nullptr, &raw); err < 0) {
    return netlink_error("looking up device #" + std::to_string(ifindex), err);
  }
  Link link(raw);
  return std::string(rtnl_link_get_name(link.get()));
}

Status set_up(nl_sock* sk, rtnl_link* link, int master) {
  Link changes(rtnl_link_alloc());
  if (!changes) return out_of_memory("a link change");
  if (master > 0) rtnl_link_set_master(changes.get(), master);
  rtnl_link_set_flags(changes.get(), IFF_UP);
  if (int err = rtnl_link_change(sk, link, changes.get(), 0); err < 0) {
    return netlink_error(std::string("setting ") + rtnl_link_get_name(link) + " up", err);
  }
  return Ok{};
}

}  // namespace vx::agent::nl
