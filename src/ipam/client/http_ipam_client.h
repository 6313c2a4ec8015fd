// The IpamClient over HTTP (common/http_client.h), one connection per call, and the calls only
// people need (vxctl): the hosts with their heartbeats, the pool's numbers, a name's availability.
//
// Given several IPAM replicas, a call goes to the one that answered last; when that one does not
// answer, or answers 503, the call goes on to the next, and the last answer or failure stands.
// Every call the IPAM acts on may be repeated safely (an allocation of a name is answered the same
// twice), so a call that failed after reaching a replica may go to another.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>
#include <chrono>

#include "common/http_client.h"
#include "ipam/client/ipam_client.h"

namespace vx::ipam {

struct IpamClientOptions {
  std::vector<HttpEndpoint> replicas;  // at least one
  std::chrono::milliseconds timeout{5000};  // of each call to one replica
  std::string token;     // the cluster's, sent with every call; empty when the IPAM requires none
  std::string instance;  // the agent's instance id (agent/instance.h), sent with every call; "" for people
};

class HttpIpamClient : public IpamClient {
 public:
  HttpIpamClient(boost::asio::any_io_executor executor, IpamClientOptions options);

  boost::asio::awaitable<Result<std::string>> register_host(const proto::HostRegistration& host) override;
  boost::asio::awaitable<Status> heartbeat(const std::string& host_id) override;
  boost::asio::awaitable<Result<proto::Reservation>> allocate(const proto::AllocateRequest& request) override;
  boost::asio::awaitable<Status> release(const std::string& name, const std::string& host_id) override;
  boost::asio::awaitable<Status> release_held(const std::string& name, const std::string& host_id,
                                              const std::string& mac) override;
  boost::asio::awaitable<Status> record_endpoint(const std::string& name,
                                                 const proto::EndpointRecord& record) override;
  boost::asio::awaitable<Result<proto::Endpoint>> rename(const std::string& name,
                                                         const proto::RenameRequest& request) override;
  boost::asio::awaitable<Result<std::vector<proto::Endpoint>>> containers(const std::string& host_id) override;
  boost::asio::awaitable<Result<proto::Endpoint>> container(const std::string& name) override;
  boost::asio::awaitable<Result<proto::NetworkStatus>> network(const std::string& name) override;
  boost::asio::awaitable<Result<proto::Update>> watch_peers(std::optional<uint64_t> since,
                                                             std::chrono::milliseconds wait) override;

  boost::asio::awaitable<Result<std::vector<proto::HostStatus>>> hosts();
  boost::asio::awaitable<Result<proto::PoolStats>> stats(const std::string& network = std::string(proto::kDefaultNetwork));
  boost::asio::awaitable<Result<std::vector<proto::NetworkStatus>>> networks();
  boost::asio::awaitable<Result<proto::NetworkStatus>> create_network(const proto::NetworkRequest& request) override;
  // kConflict "network_in_use" while a container holds an address on it.
  boost::asio::awaitable<Status> delete_network(const std::string& name);
  boost::asio::awaitable<Result<proto::NameCheck>> check(const std::string& name);
  // A dead host removed for good, its addresses released (kConflict "host_alive" while it lives).
  boost::asio::awaitable<Result<proto::HostRemoval>> remove_host(const std::string& host_id);

  // "the IPAM at http://HOST:PORT" (or "the IPAMs at ..., ..."), as errors name it.
  std::string name() const;

 private:
  // The answer's JSON body when the status is 2xx, else the IPAM's error as an Error.
  // `wait`: how long the IPAM may hold the answer back, on top of the call's deadline.
  boost::asio::awaitable<Result<boost::json::value>> call(std::string method, std::string target,
                                                          std::string body,
                                                          std::chrono::milliseconds wait = {});
  // The same, for calls whose answer matters only as success or failure.
  boost::asio::awaitable<Status> call_status(std::string method, std::string target, std::string body);
  // The same, read by `parse` (one of proto/ipam.h's).
  template <typename Parse>
  auto call_parsed(std::string method, std::string target, std::string body, Parse parse)
      -> boost::asio::awaitable<decltype(parse(boost::json::value()))>;

  boost::asio::any_io_executor executor_;
  IpamClientOptions options_;
  size_t current_ = 0;  // the replica that answered last
};

}  // namespace vx::ipam
