// Docker's remote IPAM driver (proto/docker_plugin.h), served by the agent on its plugin socket
// (/run/docker/plugins/NAME.sock): the agent makes each cluster network's Docker network with this
// driver, so every address Docker gives a container there comes from the cluster IPAM
// (docker_endpoints.h), never from Docker's own allocator.
//  - RequestPool answers a subnet with its PoolID, the subnet itself; IPv6 pools and ranges are
//    refused. Addresses are answered only on a cluster network this host carries, by its subnet.
//  - RequestAddress for the gateway answers the gateway the agent gave Docker; any other asks
//    DockerEndpoints; ReleaseAddress hands back to it.
//  - Calls it does not know answer 404, as Docker expects of a plugin that lacks one.
// Errors answer HTTP 400 (the request), 409 (an address in use), 503 (the IPAM), each with Docker's
// {"Err"} and the cluster's {"error", "detail"}.
#pragma once

#include "agent/docker_plugin/docker_endpoints.h"
#include "common/http_router.h"

namespace vx::agent {

class IpamDriver : public Router {
 public:
  explicit IpamDriver(DockerEndpoints& endpoints);

 private:
  boost::asio::awaitable<HttpResponse> activate(const HttpRequest&, const PathParams&);
  boost::asio::awaitable<HttpResponse> capabilities(const HttpRequest&, const PathParams&);
  boost::asio::awaitable<HttpResponse> address_spaces(const HttpRequest&, const PathParams&);
  boost::asio::awaitable<HttpResponse> request_pool(const HttpRequest& request, const PathParams&);
  boost::asio::awaitable<HttpResponse> release_pool(const HttpRequest& request, const PathParams&);
  boost::asio::awaitable<HttpResponse> request_address(const HttpRequest& request, const PathParams&);
  boost::asio::awaitable<HttpResponse> release_address(const HttpRequest& request, const PathParams&);

  // The network a PoolID names, set up here.
  Result<const NetworkSetup*> network_of_pool(const std::string& pool_id) const;

  DockerEndpoints& endpoints_;
};

}  // namespace vx::agent
