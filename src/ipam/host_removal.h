// Removing a host for good: every address it holds is released and its registration removed, so
// that every agent drops its flood and per-MAC entries (the change log carries both). Only a host
// that is not alive may be removed: a live host's agent would reserve its running containers'
// addresses again, and in between they could go to other names. It is idempotent and may be
// interrupted at any point: run again, it finishes the job. A name allocated for the host after
// the view was read is left, for the next run.
//
// Used by `DELETE /hosts/{id}?release=true` (vxctl host rm) and, for hosts silent longer than the
// expiry, by expire_hosts() on every IPAM replica; replicas need no coordination.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "common/error.h"
#include "ipam/host_registry.h"
#include "ipam/store.h"
#include "ipam/view/cluster_view.h"

namespace vx::ipam {

struct HostRemoved {
  std::string host_id;
  size_t released = 0;  // addresses
};

// kConflict "host_alive" while the host heartbeats; kNotFound "unknown_host" when it holds neither
// a registration nor an address.
boost::asio::awaitable<Result<HostRemoved>> remove_dead_host(Store& store, HostRegistry& hosts,
                                                              const ClusterView& view, const std::string& host_id);

// Every `every`, removes the hosts whose last heartbeat is older than `expiry`. Until the io_context
// stops.
boost::asio::awaitable<void> expire_hosts(Store& store, HostRegistry& hosts, const ClusterView& view,
                                          std::chrono::milliseconds expiry, std::chrono::milliseconds every);

}  // namespace vx::ipam
