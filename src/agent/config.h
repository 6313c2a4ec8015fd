// The agent's configuration: its command line, each flag with an environment variable standing in
// for it (VXLAN_AGENT_LISTEN, VXLAN_AGENT_IPAM, ...), parsed and validated before anything starts.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <variant>

#include "common/command_line.h"
#include "common/error.h"
#include "common/host_port.h"
#include "common/http_client.h"
#include "common/ipv4.h"

namespace vx::agent {

struct AgentConfig {
  HostPort listen;
  std::vector<HttpEndpoint> ipam;  // the IPAM's replicas
  std::string state_dir;           // where the agent keeps its instance id (instance.h)
  std::string host_id;
  std::string underlay_device;
  std::optional<Ipv4> underlay_ip;  // default: the device's first IPv4 address
  std::string advertise_url;        // default: http://UNDERLAY_IP:LISTEN_PORT
  std::string docker_socket;
  uint32_t vni;
  uint16_t vxlan_port;
  std::string network;
  std::string bridge;
  std::string log_level;
  std::chrono::milliseconds sync_interval;
  std::chrono::milliseconds resync_interval;
  std::chrono::milliseconds heartbeat_interval;
  std::chrono::milliseconds call_timeout;
  std::string token;  // required of callers and sent to the IPAM; empty: none (auth.h)
  std::string resolv_conf;  // its nameservers answer the names outside the cluster (dns/server.h)
  std::string docker_plugin = "vxlan";  // the IPAM plugin's name (docker_plugin/); "": Docker's own allocator
  std::string plugin_dir = "/run/docker/plugins";  // where Docker looks for plugin sockets
  std::string log_format = "text";  // or "json" (common/logging.h)
  bool open_metrics = false;         // GET /metrics without the token (common/auth.h)
};

// The configuration, or the status to exit with: 0 after --help, 2 after an error already printed.
std::variant<AgentConfig, ExitCode> parse_agent_config(int argc, char** argv);

}  // namespace vx::agent
