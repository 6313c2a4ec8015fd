// The agent's CNI API (proto/cni.h lists the calls), which the vxlan-cni binary drives on behalf of
// a container runtime; routes added to the agent's router, behind its token and its refusal of
// callers inside the cluster's subnets (agent/api.h).
#pragma once

#include "agent/cni/cni_service.h"
#include "common/http_router.h"

namespace vx::agent {

class CniApi {
 public:
  explicit CniApi(CniService& service) : service_(service) {}
  // `router` must not outlive this.
  void add_routes(Router& router);

 private:
  boost::asio::awaitable<HttpResponse> add(const HttpRequest& request, const PathParams& params);
  boost::asio::awaitable<HttpResponse> check(const HttpRequest& request, const PathParams& params);
  boost::asio::awaitable<HttpResponse> del(const HttpRequest& request, const PathParams& params);
  boost::asio::awaitable<HttpResponse> gc(const HttpRequest& request, const PathParams& params);

  CniService& service_;
};

}  // namespace vx::agent
