// Owning handles for libnl objects, so that each one is released on every path. Every alias is a
// std::unique_ptr whose deleter is the object's own libnl release function (a put for
// reference-counted objects, a free for sockets and caches). An object reached through a cache is
// borrowed, not owned: it stays a raw pointer, valid while the cache lives.
#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/socket.h>

#include <memory>

namespace vx::agent::nl {

template <auto Release>
struct Releaser {
  template <typename T>
  void operator()(T* object) const { Release(object); }
};

using Socket = std::unique_ptr<nl_sock, Releaser<nl_socket_free>>;
using Cache = std::unique_ptr<nl_cache, Releaser<nl_cache_free>>;
using Link = std::unique_ptr<rtnl_link, Releaser<rtnl_link_put>>;
using Neigh = std::unique_ptr<rtnl_neigh, Releaser<rtnl_neigh_put>>;
using Addr = std::unique_ptr<nl_addr, Releaser<nl_addr_put>>;

}  // namespace vx::agent::nl
