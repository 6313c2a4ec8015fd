// One vxlan-agent: its parts wired together on one io_context. start() sets the host up (retrying
// until the IPAM and Docker answer), then heartbeats and reconciles until the io_context stops.
// Requests are served meanwhile; /health says what is not ready yet.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "agent/api.h"
#include "agent/config.h"
#include "agent/container_service.h"
#include "agent/reconciler.h"

namespace vx {

class Agent : public RequestHandler {
 public:
  Agent(boost::asio::io_context& io, AgentIdentity self, const AgentConfig& config,
        std::unique_ptr<Dataplane> dataplane);

  void start();
  boost::asio::awaitable<HttpResponse> handle(const HttpRequest& request) override {
    return router_->handle(request);
  }

 private:
  static ReconcilerOptions reconciler_options(const AgentConfig& config, const ContainerService& containers,
                                              Agent* agent);
  boost::asio::awaitable<void> set_up();
  boost::asio::awaitable<void> heartbeat();

  boost::asio::io_context& io_;
  AgentIdentity self_;
  std::chrono::milliseconds heartbeat_interval_;
  std::unique_ptr<Dataplane> dataplane_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<IpamClient> ipam_;
  std::unique_ptr<Prober> prober_;
  ContainerService containers_;
  Reconciler reconciler_;
  SetupState setup_;
  std::unique_ptr<Router> router_;
};

}  // namespace vx
