// One vxlan-agent, composed from the top: it owns its io_context, its parts (the Docker runtime,
// the IPAM client, the prober, the container service, the reconciler) and the HTTP server that
// serves its API on that io_context, and the name server of its containers (dns/server.h). run() sets the host up (retrying until the IPAM and Docker
// answer), then heartbeats and follows the peer feed until SIGTERM; requests are served meanwhile
// and /health says what is not ready yet. Containers keep running when it stops.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "agent/api.h"
#include "agent/cni/cni_service.h"
#include "agent/config.h"
#include "agent/container_service.h"
#include "agent/dns/resolv_conf.h"
#include "agent/dns/server.h"
#include "agent/docker_plugin/ipam_driver.h"
#include "agent/docker_plugin/network_follower.h"
#include "agent/metrics.h"
#include "agent/reconciler.h"
#include "agent/removal_follower.h"
#include "common/http_server.h"

namespace vx::agent {

class Agent {
 public:
  Agent(AgentIdentity self, const AgentConfig& config, std::unique_ptr<Dataplane> dataplane);
  ~Agent();

  // Binds the API's listeners; an error means the agent cannot start.
  Status listen(const AgentConfig& config);
  // Serves until SIGTERM or SIGINT.
  void run();

 private:
  ReconcilerOptions reconciler_options(const AgentConfig& config);
  AttachedHere attached_here();
  boost::asio::awaitable<Status> repair_host();
  boost::asio::awaitable<void> set_up();
  boost::asio::awaitable<void> heartbeat();
  // What the name server answers, from the feed's view: no IPAM round trip per query.
  dns::NameAnswer lookup(std::string_view network, std::string_view name) const;
  // Serves a network's names on its gateway once it is set up; retried by the host checks.
  void serve_names(const NetworkSetup& network);
  boost::asio::awaitable<void> keep_names();

  // Before the io_context: the operations it destroys at exit let go of their claims.
  NameClaims claims_;
  boost::asio::io_context io_{1};
  AgentIdentity self_;
  std::chrono::milliseconds heartbeat_interval_;
  std::unique_ptr<Dataplane> dataplane_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<ipam::IpamClient> ipam_;
  std::unique_ptr<Prober> prober_;
  HostNetworks networks_;
  ContainerService containers_;
  DockerEndpoints docker_endpoints_;
  std::unique_ptr<Sandboxes> sandboxes_;
  CniService cni_;
  Reconciler reconciler_;
  RemovalFollower removals_;
  SetupState setup_;
  HealthMonitor health_;
  // Before the router, which times its requests from its construction; the name server it reads
  // comes later, and is read at scrapes only.
  Metrics metrics_;
  AgentMetrics agent_metrics_;
  std::string warning_;  // serving without a token where others reach it
  std::unique_ptr<Router> router_;
  HttpServer server_;
  // Docker's IPAM plugin (docker_plugin/), on a unix socket of its own: Docker sends no token.
  std::string plugin_socket_;  // empty when the plugin is off
  IpamDriver plugin_driver_;
  HttpServer plugin_server_;
  NetworkFollower network_events_;
  dns::Server names_;
  std::map<std::string, std::string> names_errors_;  // the last listen error, by network
};

}  // namespace vx::agent
