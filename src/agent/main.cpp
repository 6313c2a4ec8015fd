// vxlan-agent: sets this host up for the overlay and serves the container API until SIGTERM.
// Containers keep running when it stops. Exits 2 on a configuration error.
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "agent/config.h"
#include "agent/dataplane/netlink_dataplane.h"

namespace vx::agent {

namespace {

// Fills in what the flags left to the kernel: the underlay address and MTU.
Result<AgentIdentity> identify(const AgentConfig& config, Dataplane& dataplane) {
  auto underlay = dataplane.underlay(config.underlay_device);
  if (!underlay) return underlay.error();
  AgentIdentity self;
  self.host_id = config.host_id;
  self.underlay_device = config.underlay_device;
  self.underlay_ip = config.underlay_ip.value_or(underlay->address);
  self.underlay_mtu = underlay->mtu;
  self.agent_url = config.advertise_url.empty()
                       ? "http://" + self.underlay_ip.to_string() + ":" + std::to_string(config.listen.port)
                       : config.advertise_url;
  self.network = config.network;
  self.bridge = config.bridge;
  self.vni = config.vni;
  self.vxlan_port = config.vxlan_port;
  return self;
}

}  // namespace

int serve(int argc, char** argv) {
  auto parsed = parse_agent_config(argc, argv);
  if (auto* exit = std::get_if<ExitCode>(&parsed)) return exit->code;
  const auto& config = std::get<AgentConfig>(parsed);
  auto dataplane = std::make_unique<NetlinkDataplane>();
  auto self = identify(config, *dataplane);
  if (!self) {
    spdlog::critical("{}", self.error().detail);
    return 2;
  }
  spdlog::info("starting: host {}, underlay {} on {} (MTU {}), IPAM at {}, Docker at {}", self->host_id,
               self->underlay_ip.to_string(), self->underlay_device, self->underlay_mtu, config.ipam.to_string(),
               config.docker_socket);

  Agent agent(*self, config, std::move(dataplane));
  if (auto listening = agent.listen(config); !listening) {
    spdlog::critical("{}", listening.error().detail);
    return 2;
  }
  agent.run();
  return 0;
}

}  // namespace vx::agent

int main(int argc, char** argv) { return vx::agent::serve(argc, argv); }
