// The IPAM's registry: which address belongs to which container on which host. Every change is
// atomic, so a crash at any point leaves either the old state or the new one. A name is bound to
// the host that first allocated it: the same name from another host is a conflict, never a second
// address. Errors: kBadInput, kNotFound, kConflict, and kUnavailable when the backing store does
// not answer or holds a pool of another configuration.
//
// The calls that act for a host take the agent instance the caller presents (`instance`, "" for
// none): a host bound to another instance (host_registry.h) refuses them as kConflict
// "instance_mismatch".
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/ipv4.h"
#include "proto/ipam.h"

namespace vx::ipam {

// A name's entry in the registry; its MAC is empty until the agent records it.
using Allocation = proto::Endpoint;

using AllocateRequest = proto::AllocateRequest;

struct AllocateResult {
  Allocation allocation;
  bool created = false;  // false: the name already held this address on this host
};

using PoolStats = proto::PoolStats;
using NetworkStatus = proto::NetworkStatus;

struct NetworkResult {
  NetworkStatus network;
  bool created = false;  // false: it existed already, the same
};

// The answer for a name the registry does not hold.
inline Error no_address(const std::string& name) {
  return not_found("unknown_container", "container '" + name + "' holds no address");
}

inline Error no_network(const std::string& network) {
  return not_found("unknown_network", "network '" + network + "' does not exist (vxctl network ls lists them)");
}

// The answer to a call for a host from an agent instance other than the one the host is bound to.
inline Error instance_mismatch(const std::string& host_id) {
  return conflict("instance_mismatch",
                  "host '" + host_id + "' belongs to another agent instance: another vxlan-agent registered it "
                  "with its own state directory (see --state-dir), or this one's was replaced; stop one of them");
}

class Store {
 public:
  virtual ~Store() = default;

  virtual boost::asio::awaitable<Result<AllocateResult>> allocate(const AllocateRequest& request,
                                                                  const std::string& instance) = 0;

  // Frees the name's address, only if it is held as the request says: by its host (kConflict
  // "host_mismatch"; none given: by a host that is not alive, else "host_alive"), on its network
  // ("network_mismatch") and with its MAC ("mac_mismatch"), each where given.
  virtual boost::asio::awaitable<Result<Allocation>> release(const proto::ReleaseRequest& request,
                                                             const std::string& instance) = 0;

  virtual boost::asio::awaitable<Result<std::optional<Allocation>>> find(const std::string& name) = 0;
  virtual boost::asio::awaitable<Result<PoolStats>> stats(const std::string& network) = 0;

  // Networks other than the default one: created with their pool (kConflict "network_exists"
  // for the name with another shape, "vni_taken", "subnet_overlap"), and deleted once no container
  // holds an address on them (kConflict "network_in_use"; kBadInput "default_network").
  virtual boost::asio::awaitable<Result<NetworkResult>> create_network(const proto::NetworkRequest& request) = 0;
  virtual boost::asio::awaitable<Status> delete_network(const std::string& name) = 0;
  // Every network, the default one included, sorted by name; or the one named (kNotFound
  // "unknown_network" when there is none).
  virtual boost::asio::awaitable<Result<std::vector<NetworkStatus>>> networks(const std::string& name) = 0;
  // The revision of the last change to hosts or endpoints (0 before the first): a read that must
  // see every write made before it waits until the view has caught up with this.
  virtual boost::asio::awaitable<Result<uint64_t>> revision() = 0;

  // Records the MAC of the container holding `name`, which must belong to `host_id`.
  virtual boost::asio::awaitable<Result<Allocation>> record_endpoint(const std::string& name,
                                                                     const std::string& host_id,
                                                                     const std::string& mac,
                                                                     const std::string& instance) = 0;

  // Moves `name`'s entry, which must belong to `host_id`, to the name `to`, keeping its address
  // held throughout (kConflict "name_conflict" when `to` holds an address already). What the agent
  // of a container Docker started with an address it asked for before knowing the container's name
  // (agent/docker_plugin) calls once it knows it.
  virtual boost::asio::awaitable<Result<Allocation>> rename(const std::string& name, const std::string& to,
                                                            const std::string& host_id,
                                                            const std::string& instance) = 0;

  // Ok when the store answers and holds this IPAM's pool.
  virtual boost::asio::awaitable<Status> check_health() = 0;
};

}  // namespace vx::ipam
