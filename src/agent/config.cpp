#include "agent/config.h"

#include <unistd.h>


#include "agent/docker/docker_runtime.h"
#include "agent/identity.h"
#include "common/auth.h"
#include "common/logging.h"
#include "proto/names.h"

namespace vx::agent {
namespace {

struct Flags {
  std::string listen = "0.0.0.0:8001";
  std::string ipam = "http://127.0.0.1:8000";
  std::string host_id;
  std::string state_dir = "/var/lib/vxlan-agent";
  std::string underlay_device;
  std::string underlay_ip;
  std::string advertise_url;
  std::string docker = "unix:///var/run/docker.sock";
  // The overlay's parameters default to the seed's, as AgentIdentity states them.
  uint32_t vni = AgentIdentity{}.vni;
  uint16_t vxlan_port = AgentIdentity{}.vxlan_port;
  std::string network = AgentIdentity{}.network;
  std::string bridge = AgentIdentity{}.bridge;
  std::string log_level = "info";
  std::string log_format = "text";
  bool open_metrics = false;
  int sync_interval_ms = 500;
  int resync_interval_ms = 60000;
  int heartbeat_interval_ms = 500;
  int timeout_ms = 5000;
  std::string token_file;
  std::string resolv_conf = "/etc/resolv.conf";
  std::string docker_plugin = AgentConfig{}.docker_plugin;
  std::string plugin_dir = AgentConfig{}.plugin_dir;
};

std::string hostname() {
  char name[256] = {};
  return gethostname(name, sizeof(name) - 1) == 0 ? name : "";
}

Result<AgentConfig> validate(Flags flags) {
  auto listen = parse_listen_address(flags.listen);
  if (!listen) return listen.error();
  auto ipam = parse_http_urls(flags.ipam);
  if (!ipam) return ipam.error();
  if (flags.state_dir.empty()) return bad_input("invalid_state_dir", "--state-dir must name a directory");
  if (flags.host_id.empty()) flags.host_id = hostname();
  if (auto valid = proto::validate_host_id(flags.host_id); !valid) return valid.error();
  if (flags.underlay_device.empty() || flags.underlay_device.size() > 15) {
    return bad_input("invalid_device", "--underlay-dev must name a network device (at most 15 characters)");
  }
  std::optional<Ipv4> underlay_ip;
  if (!flags.underlay_ip.empty()) {
    auto ip = Ipv4::parse(flags.underlay_ip);
    if (!ip) return ip.error();
    underlay_ip = *ip;
  }
  if (!flags.advertise_url.empty()) {
    if (auto url = parse_http_url(flags.advertise_url); !url) return url.error();
  }
  auto docker = parse_docker_url(flags.docker);
  if (!docker) return docker.error();
  if (flags.vni == 0 || flags.vni >= (1u << 24)) return bad_input("invalid_vni", "--vni must be 1 to 16777215");
  if (flags.vxlan_port == 0) return bad_input("invalid_port", "--vxlan-port must not be 0");
  if (flags.bridge.empty() || flags.bridge.size() > 15) {
    return bad_input("invalid_bridge", "--bridge must be 1 to 15 characters");
  }
  if (flags.sync_interval_ms < 50 || flags.resync_interval_ms < 50 || flags.heartbeat_interval_ms < 50 ||
      flags.timeout_ms < 100) {
    return bad_input("invalid_interval", "intervals must be at least 50 ms and the timeout at least 100 ms");
  }
  auto token = load_token(flags.token_file);
  if (!token) return token.error();
  // Docker reads the name from the socket's file name and keeps it in each network's IPAM driver.
  if (!flags.docker_plugin.empty()) {
    if (auto valid = proto::validate_network_name(flags.docker_plugin); !valid) {
      return bad_input("invalid_plugin", "--docker-plugin must be letters, digits, '-' and '_', at most 32");
    }
  }
  if (flags.plugin_dir.empty() || flags.plugin_dir.front() != '/') {
    return bad_input("invalid_plugin_dir", "--plugin-dir must be an absolute path");
  }
  return AgentConfig{*listen, *ipam, flags.state_dir, flags.host_id, flags.underlay_device, underlay_ip, flags.advertise_url,
                     *docker, flags.vni, flags.vxlan_port, flags.network, flags.bridge, flags.log_level,
                     std::chrono::milliseconds(flags.sync_interval_ms),
                     std::chrono::milliseconds(flags.resync_interval_ms),
                     std::chrono::milliseconds(flags.heartbeat_interval_ms),
                     std::chrono::milliseconds(flags.timeout_ms), *token, flags.resolv_conf,
                     flags.docker_plugin, flags.plugin_dir, flags.log_format, flags.open_metrics};
}

}  // namespace

std::variant<AgentConfig, ExitCode> parse_agent_config(int argc, char** argv) {
  Flags flags;
  CLI::App app{"vxlan-agent: puts this host's containers on the VXLAN overlay"};
  app.option_defaults()->always_capture_default();
  app.add_option("--listen", flags.listen, "ADDRESS:PORT to serve HTTP on")->envname("VXLAN_AGENT_LISTEN");
  app.add_option("--ipam", flags.ipam, "the IPAM, http://HOST:PORT, or its replicas, comma-separated")->envname("VXLAN_AGENT_IPAM");
  app.add_option("--host-id", flags.host_id, "this host's name in the cluster (default: the hostname)")
      ->envname("VXLAN_AGENT_HOST_ID");
  app.add_option("--state-dir", flags.state_dir, "where this agent keeps its instance id; one per host")
      ->envname("VXLAN_AGENT_STATE_DIR");
  app.add_option("--underlay-dev", flags.underlay_device, "the device VXLAN packets leave by")
      ->envname("VXLAN_AGENT_UNDERLAY_DEV")
      ->required();
  app.add_option("--underlay-ip", flags.underlay_ip, "this host's underlay address (default: the device's first IPv4)")
      ->envname("VXLAN_AGENT_UNDERLAY_IP");
  app.add_option("--advertise-url", flags.advertise_url, "how others reach this agent (default: http://UNDERLAY_IP:PORT)")
      ->envname("VXLAN_AGENT_ADVERTISE_URL");
  app.add_option("--docker", flags.docker, "the Docker Engine API socket")->envname("VXLAN_AGENT_DOCKER");
  app.add_option("--vni", flags.vni, "VXLAN network identifier")->envname("VXLAN_AGENT_VNI");
  app.add_option("--vxlan-port", flags.vxlan_port, "VXLAN UDP port")->envname("VXLAN_AGENT_VXLAN_PORT");
  app.add_option("--network", flags.network, "the Docker network containers join")->envname("VXLAN_AGENT_NETWORK");
  app.add_option("--bridge", flags.bridge, "the Linux bridge of that network")->envname("VXLAN_AGENT_BRIDGE");
  app.add_option("--log-level", flags.log_level, std::string("one of ") + kLogLevels)->envname("VXLAN_AGENT_LOG_LEVEL");
  app.add_option("--log-format", flags.log_format, std::string("one of ") + kLogFormats + ": JSON lines for log shippers")
      ->envname("VXLAN_AGENT_LOG_FORMAT");
  app.add_flag("--metrics-open", flags.open_metrics,
               "serve GET /metrics without the cluster token, for a scraper that cannot send one")
      ->envname("VXLAN_AGENT_METRICS_OPEN");
  app.add_option("--sync-interval-ms", flags.sync_interval_ms,
                 "how often the VXLAN device is checked (and, ten times slower, the registry's record of this host)")
      ->envname("VXLAN_AGENT_SYNC_INTERVAL_MS");
  app.add_option("--resync-interval-ms", flags.resync_interval_ms,
                 "how often the whole forwarding database is diffed against the watched peers (a safety net)")
      ->envname("VXLAN_AGENT_RESYNC_INTERVAL_MS");
  app.add_option("--heartbeat-interval-ms", flags.heartbeat_interval_ms, "how often this host tells the IPAM it is alive")
      ->envname("VXLAN_AGENT_HEARTBEAT_INTERVAL_MS");
  app.add_option("--timeout-ms", flags.timeout_ms, "deadline of each call to the IPAM and Docker")
      ->envname("VXLAN_AGENT_TIMEOUT_MS");
  app.add_option("--token-file", flags.token_file,
                 "a file holding the cluster's token (default: $VXLAN_TOKEN; none: no authentication)")
      ->envname("VXLAN_AGENT_TOKEN_FILE");
  app.add_option("--resolv-conf", flags.resolv_conf,
                 "where the containers' names servers find the resolvers for names outside the cluster")
      ->envname("VXLAN_AGENT_RESOLV_CONF");
  app.add_option("--docker-plugin", flags.docker_plugin,
                 "the name this agent serves Docker's IPAM plugin under, so that `docker run --network` gets "
                 "cluster addresses; \"\" for none")
      ->envname("VXLAN_AGENT_DOCKER_PLUGIN");
  app.add_option("--plugin-dir", flags.plugin_dir, "where Docker finds plugin sockets")
      ->envname("VXLAN_AGENT_PLUGIN_DIR");
  return parse_command_line<AgentConfig>(app, argc, argv, "vxlan-agent", [&] { return validate(std::move(flags)); });
}

}  // namespace vx::agent
