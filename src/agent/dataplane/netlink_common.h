// What the libnl adapters share (the data plane's and the sandboxes'): a connected rtnetlink
// socket, lookups of devices by name, conversions between libnl addresses and ours, and errors
// worded the same way everywhere (kUnavailable "netlink_error" saying what was being done).
#pragma once

#include <netlink/cache.h>

#include <optional>
#include <string>

#include "agent/dataplane/netlink_handles.h"
#include "common/error.h"
#include "common/ipv4.h"

namespace vx::agent::nl {

Error netlink_error(const std::string& doing, int err);
Error unknown_device(const std::string& name);
// libnl signals a failed allocation with a null object; it is reported like any other refusal.
Error out_of_memory(const std::string& what);

Result<Socket> open_socket();

// Visits every object of a cache as the type the cache holds.
template <typename Object, typename Visit>
void for_each(nl_cache* cache, Visit visit) {
  for (nl_object* object = nl_cache_get_first(cache); object != nullptr; object = nl_cache_get_next(object)) {
    visit(reinterpret_cast<Object*>(object));
  }
}

Addr to_nl_addr(Ipv4 ip);
std::optional<Ipv4> to_ipv4(nl_addr* addr);
std::optional<std::string> format_mac(nl_addr* lladdr);
// A link-layer address, strictly: a typo is kBadInput "invalid_mac" rather than another MAC.
Result<Addr> to_lladdr(const std::string& text);

// The device of that name, or a null handle when there is none (kBadInput "invalid_device" for
// what cannot be a device name).
Result<Link> find_link(nl_sock* sk, const std::string& name);
// The same, with no device as kNotFound "unknown_device".
Result<Link> require_link(nl_sock* sk, const std::string& name);
Result<std::string> link_name(nl_sock* sk, int ifindex);
// Sets `link` up, and enslaves it to the device of `master` when that is not 0.
Status set_up(nl_sock* sk, rtnl_link* link, int master = 0);

}  // namespace vx::agent::nl
