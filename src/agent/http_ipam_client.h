// The IpamClient over HTTP (common/http_client.h), one connection per call.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>
#include <chrono>

#include "agent/ipam_client.h"
#include "common/http_client.h"

namespace vx::agent {

class HttpIpamClient : public IpamClient {
 public:
  // `token`: the cluster's, sent with every call; empty when the IPAM requires none.
  HttpIpamClient(boost::asio::any_io_executor executor, HttpEndpoint ipam, std::chrono::milliseconds timeout,
                 std::string token = {});

  boost::asio::awaitable<Result<std::string>> register_host(const std::string& host_id,
                                                            const std::string& underlay_ip,
                                                            const std::string& agent_url) override;
  boost::asio::awaitable<Status> heartbeat(const std::string& host_id) override;
  boost::asio::awaitable<Result<Reservation>> allocate(const std::string& name, const std::string& host_id,
                                                       const std::string& ip_address = {}) override;
  boost::asio::awaitable<Status> release(const std::string& name, const std::string& host_id) override;
  boost::asio::awaitable<Status> record_endpoint(const std::string& name, const std::string& host_id,
                                                 const std::string& mac) override;
  boost::asio::awaitable<Result<std::vector<Endpoint>>> containers(const std::string& host_id) override;
  boost::asio::awaitable<Result<Endpoint>> container(const std::string& name) override;
  boost::asio::awaitable<Result<proto::Update>> watch_peers(std::optional<uint64_t> since,
                                                             std::chrono::milliseconds wait) override;

 private:
  // The answer's JSON body when the status is 2xx, else the IPAM's error as an Error.
  // `wait`: how long the IPAM may hold the answer back, on top of the call's deadline.
  boost::asio::awaitable<Result<boost::json::value>> call(std::string method, std::string target,
                                                          std::string body,
                                                          std::chrono::milliseconds wait = {});
  // The same, for calls whose answer matters only as success or failure.
  boost::asio::awaitable<Status> call_status(std::string method, std::string target, std::string body);

  boost::asio::any_io_executor executor_;
  HttpEndpoint ipam_;
  std::chrono::milliseconds timeout_;
  std::string token_;
};

}  // namespace vx::agent
