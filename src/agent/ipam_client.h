// The agent's view of the IPAM's HTTP API. Every call has a deadline; errors keep the IPAM's own
// {"error", "detail"} (a 409 name_conflict stays a kConflict "name_conflict"), and an IPAM that
// does not answer is kUnavailable.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/ipv4.h"
#include "proto/peers.h"

namespace vx::agent {

struct Reservation {
  std::string ip_address;
  bool created = false;  // false: the name already held this address on this host
};

// A name's entry in the registry, with its MAC once recorded.
using Endpoint = proto::Endpoint;

class IpamClient {
 public:
  virtual ~IpamClient() = default;

  // The overlay subnet, from the registration answer.
  virtual boost::asio::awaitable<Result<std::string>> register_host(const std::string& host_id,
                                                                    const std::string& underlay_ip,
                                                                    const std::string& agent_url) = 0;
  virtual boost::asio::awaitable<Status> heartbeat(const std::string& host_id) = 0;
  // With `ip_address`, exactly that address (kConflict "ip_taken" when another name holds it).
  virtual boost::asio::awaitable<Result<Reservation>> allocate(const std::string& name, const std::string& host_id,
                                                               const std::string& ip_address = {}) = 0;
  // kNotFound "unknown_container" when the name holds nothing.
  virtual boost::asio::awaitable<Status> release(const std::string& name, const std::string& host_id) = 0;
  virtual boost::asio::awaitable<Status> record_endpoint(const std::string& name, const std::string& host_id,
                                                         const std::string& mac) = 0;
  // The names the registry holds for one host.
  virtual boost::asio::awaitable<Result<std::vector<Endpoint>>> containers(const std::string& host_id) = 0;
  // One name's entry, on whichever host; kNotFound "unknown_container" when the name holds nothing.
  virtual boost::asio::awaitable<Result<Endpoint>> container(const std::string& name) = 0;
  // Without `since`, the snapshot of what every data plane should hold. With it, the changes after
  // that revision, waiting up to `wait` for one; or the snapshot again, marked reset, when the IPAM
  // cannot continue from there (proto/peers.h).
  virtual boost::asio::awaitable<Result<proto::Update>> watch_peers(std::optional<uint64_t> since,
                                                                     std::chrono::milliseconds wait) = 0;
};

}  // namespace vx::agent
