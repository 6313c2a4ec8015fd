// The agent's view of the IPAM's HTTP API. Every call has a deadline; errors keep the IPAM's own
// {"error", "detail"} (a 409 name_conflict stays a kConflict "name_conflict"), and an IPAM that
// does not answer is kUnavailable.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/ipv4.h"

namespace vx {

struct Reservation {
  std::string ip_address;
  bool created = false;  // false: the name already held this address on this host
};

struct Endpoint {
  std::string container_name;
  std::string ip_address;
  std::string host_id;
  std::string mac_address;  // empty when not recorded yet
};

struct PeerHost {
  std::string host_id;
  Ipv4 underlay;
  bool alive = false;  // heartbeats arrive
};

// What the IPAM says every host's data plane should hold.
struct Peers {
  std::vector<PeerHost> hosts;       // registered hosts, this one included
  std::vector<Endpoint> endpoints;   // those with a MAC
};

class IpamClient {
 public:
  virtual ~IpamClient() = default;

  virtual boost::asio::awaitable<Status> health() = 0;
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
  virtual boost::asio::awaitable<Result<std::vector<Endpoint>>> containers() = 0;
  // One name's entry, on whichever host; kNotFound "unknown_container" when the name holds nothing.
  virtual boost::asio::awaitable<Result<Endpoint>> container(const std::string& name) = 0;
  virtual boost::asio::awaitable<Result<Peers>> peers() = 0;
};

}  // namespace vx
