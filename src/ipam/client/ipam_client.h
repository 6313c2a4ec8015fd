// The IPAM's API as the agent calls it, the seam its tests fake. Every call has a deadline; errors
// keep the IPAM's own {"error", "detail"} (a 409 name_conflict stays a kConflict "name_conflict"),
// an IPAM that does not answer is kUnavailable "unreachable", and an answer of the wrong shape is
// kInternal "bad_answer" (proto/ipam.h reads every answer).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "proto/ipam.h"
#include "proto/peers.h"

namespace vx::ipam {

class IpamClient {
 public:
  virtual ~IpamClient() = default;

  // The overlay subnet, from the registration answer.
  virtual boost::asio::awaitable<Result<std::string>> register_host(const proto::HostRegistration& host) = 0;
  virtual boost::asio::awaitable<Status> heartbeat(const std::string& host_id) = 0;
  // With `ip_address`, exactly that address (kConflict "ip_taken" when another name holds it).
  virtual boost::asio::awaitable<Result<proto::Reservation>> allocate(const proto::AllocateRequest& request) = 0;
  // kNotFound "unknown_container" when the name holds nothing.
  virtual boost::asio::awaitable<Status> release(const std::string& name, const std::string& host_id) = 0;
  // Only while `host_id` holds the name with `mac`, judged and done at the IPAM in one step, so that
  // a name that passed to another container of the host stays with it: kConflict "mac_mismatch".
  virtual boost::asio::awaitable<Status> release_held(const std::string& name, const std::string& host_id,
                                                      const std::string& mac) = 0;
  virtual boost::asio::awaitable<Status> record_endpoint(const std::string& name,
                                                         const proto::EndpointRecord& record) = 0;
  // Moves `name`'s entry to `to` on the same host, its address held throughout (ipam/store.h);
  // kConflict "name_conflict" when `to` holds an address.
  virtual boost::asio::awaitable<Result<proto::Endpoint>> rename(const std::string& name,
                                                                 const proto::RenameRequest& request) = 0;
  // The names the registry holds for one host; every host's with an empty `host_id`.
  virtual boost::asio::awaitable<Result<std::vector<proto::Endpoint>>> containers(const std::string& host_id) = 0;
  // One name's entry, on whichever host; kNotFound "unknown_container" when the name holds nothing.
  virtual boost::asio::awaitable<Result<proto::Endpoint>> container(const std::string& name) = 0;
  // One network: its subnet, range and VNI; kNotFound "unknown_network" when there is none.
  virtual boost::asio::awaitable<Result<proto::NetworkStatus>> network(const std::string& name) = 0;
  // kConflict "network_exists", "vni_taken", "subnet_overlap"; answers the network, new or not.
  virtual boost::asio::awaitable<Result<proto::NetworkStatus>> create_network(const proto::NetworkRequest& request) = 0;
  // Without `since`, the snapshot of what every data plane should hold. With it, the changes after
  // that revision, waiting up to `wait` for one; or the snapshot again, marked reset, when the IPAM
  // cannot continue from there (proto/peers.h).
  virtual boost::asio::awaitable<Result<proto::Update>> watch_peers(std::optional<uint64_t> since,
                                                                     std::chrono::milliseconds wait) = 0;
};

}  // namespace vx::ipam
