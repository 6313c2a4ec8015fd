// Which hosts are in the cluster and which of them are alive, for the agents' data planes. A host
// registers with its underlay address and agent URL and then heartbeats; it is alive while its
// last heartbeat is younger than the TTL, and leaves by deregistering or by falling silent. Clocks
// are Redis's, so that IPAM replicas agree. Registering, leaving, and going quiet or coming back
// are changes in the change log; the hosts themselves are read from the view (view/).
//
// A host is bound to the agent instance that registers it (`instance`, the id its agent keeps in
// its state directory), so that a second agent started with a live host's id cannot take the host
// over: while the host is alive, registering it from another instance is kConflict
// "instance_taken", and its heartbeat or leave from another instance is kConflict
// "instance_mismatch". Once the host has been silent for the TTL, any instance may register it.
// Callers that present no instance ("") are the seed API's: their registration is refused only
// while a bound host lives, and their other calls are not checked.
//
// Errors: kNotFound "unknown_host", kConflict "underlay_taken" (another live host holds that
// underlay address), "instance_taken", "instance_mismatch", kUnavailable.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "ipam/store.h"

namespace vx::ipam {

using HostRegistration = proto::HostRegistration;

// Milliseconds since each registered host's last heartbeat, by host id.
using HeartbeatAges = std::map<std::string, uint64_t>;

class HostRegistry {
 public:
  virtual ~HostRegistry() = default;
  virtual boost::asio::awaitable<Status> register_host(const HostRegistration& host, const std::string& instance) = 0;
  virtual boost::asio::awaitable<Status> heartbeat(const std::string& host_id, const std::string& instance) = 0;
  virtual boost::asio::awaitable<Status> leave(const std::string& host_id, const std::string& instance) = 0;
  virtual boost::asio::awaitable<Result<HeartbeatAges>> heartbeat_ages() = 0;
  // A host is alive while its last heartbeat is younger than this.
  virtual std::chrono::milliseconds ttl() const = 0;
};

}  // namespace vx::ipam
