// vxlan-agent: sets this host up for the overlay and serves the container API until SIGTERM.
// Containers keep running when it stops. Exits 2 on a configuration error.
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "agent/config.h"
#include "agent/host_setup.h"
#include "agent/instance.h"
#include "agent/dataplane/netlink_dataplane.h"

namespace vx::agent {

int serve(int argc, char** argv) {
  auto parsed = parse_agent_config(argc, argv);
  if (auto* exit = std::get_if<ExitCode>(&parsed)) return exit->code;
  const auto& config = std::get<AgentConfig>(parsed);
  auto dataplane = std::make_unique<NetlinkDataplane>();
  auto self = identify_host(config, *dataplane);
  if (!self) {
    spdlog::critical("{}", self.error().detail);
    return 2;
  }
  auto instance = load_instance_id(config.state_dir);
  if (!instance) {
    spdlog::critical("{}", instance.error().detail);
    return 2;
  }
  self->instance_id = *instance;
  spdlog::info("starting: host {} (instance {}), underlay {} on {} (MTU {}), IPAM at {}, Docker at {}",
               self->host_id, self->instance_id, self->underlay_ip.to_string(), self->underlay_device,
               self->underlay_mtu, config.ipam.front().to_string(), config.docker_socket);

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
