// Which hosts are in the cluster and which of them are alive, for the agents' data planes. A host
// registers with its underlay address and agent URL and then heartbeats; it is alive while its
// last heartbeat is younger than the TTL, and leaves by deregistering or by falling silent. Clocks
// are Redis's, so that IPAM replicas agree. Errors: kNotFound "unknown_host", kConflict
// "underlay_taken" (another live host holds that underlay address), kUnavailable.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "ipam/store.h"

namespace vx {

struct HostRegistration {
  std::string host_id;
  std::string underlay_ip;
  std::string agent_url;
};

struct HostRecord {
  HostRegistration host;
  uint64_t heartbeat_age_ms = 0;
  bool alive = false;
  uint64_t containers = 0;  // containers the registry holds for this host (its gateway not counted)
};

struct PeerHost {
  std::string host_id;
  std::string underlay_ip;
  bool alive = false;
};

// What every agent programs: every registered host with its liveness, and every endpoint whose
// MAC is known.
struct PeerView {
  std::vector<PeerHost> hosts;
  std::vector<Allocation> endpoints;
};

class HostRegistry {
 public:
  virtual ~HostRegistry() = default;
  virtual boost::asio::awaitable<Status> register_host(const HostRegistration& host) = 0;
  virtual boost::asio::awaitable<Status> heartbeat(const std::string& host_id) = 0;
  virtual boost::asio::awaitable<Status> leave(const std::string& host_id) = 0;
  virtual boost::asio::awaitable<Result<std::vector<HostRecord>>> hosts() = 0;
  virtual boost::asio::awaitable<Result<PeerView>> peers() = 0;
};

}  // namespace vx
