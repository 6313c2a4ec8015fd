// The IpamClient over HTTP (common/http_client.h), one connection per call, and the calls only
// people need (vxctl): the hosts with their heartbeats, the pool's numbers, a name's availability.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>
#include <chrono>

#include "common/http_client.h"
#include "ipam/client/ipam_client.h"

namespace vx::ipam {

class HttpIpamClient : public IpamClient {
 public:
  // `token`: the cluster's, sent with every call; empty when the IPAM requires none.
  HttpIpamClient(boost::asio::any_io_executor executor, HttpEndpoint ipam, std::chrono::milliseconds timeout,
                 std::string token = {});

  boost::asio::awaitable<Result<std::string>> register_host(const proto::HostRegistration& host) override;
  boost::asio::awaitable<Status> heartbeat(const std::string& host_id) override;
  boost::asio::awaitable<Result<proto::Reservation>> allocate(const proto::AllocateRequest& request) override;
  boost::asio::awaitable<Status> release(const std::string& name, const std::string& host_id) override;
  boost::asio::awaitable<Status> record_endpoint(const std::string& name,
                                                 const proto::EndpointRecord& record) override;
  boost::asio::awaitable<Result<std::vector<proto::Endpoint>>> containers(const std::string& host_id) override;
  boost::asio::awaitable<Result<proto::Endpoint>> container(const std::string& name) override;
  boost::asio::awaitable<Result<proto::Update>> watch_peers(std::optional<uint64_t> since,
                                                             std::chrono::milliseconds wait) override;

  boost::asio::awaitable<Result<std::vector<proto::HostStatus>>> hosts();
  boost::asio::awaitable<Result<proto::PoolStats>> stats();
  boost::asio::awaitable<Result<proto::NameCheck>> check(const std::string& name);

  // "the IPAM at http://HOST:PORT", as errors name it.
  std::string name() const { return "the IPAM at http://" + ipam_.to_string(); }

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
  HttpEndpoint ipam_;
  std::chrono::milliseconds timeout_;
  std::string token_;
};

}  // namespace vx::ipam
