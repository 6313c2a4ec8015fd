#include "ipam/config.h"

#include <cstdlib>
#include <thread>

#include "common/auth.h"
#include "common/logging.h"

namespace vx::ipam {
namespace {

struct Flags {
  std::string listen = "0.0.0.0:8000";
  std::string redis = "redis://127.0.0.1:6379";
  std::string subnet = "172.20.0.0/16";
  std::string range_start, range_end;
  std::vector<std::string> reserve;
  std::string log_level = "info";
  std::string log_format = "text";
  bool open_metrics = false;
  // Redis usually shares the machine and needs a core of its own: measured on 2 cores, one HTTP
  // thread allocates faster than two (bench/ipam_bench).
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency() / 2));
  int redis_timeout_ms = 2000;
  int host_ttl_ms = 1500;
  std::string token_file;
  // Each agent holds a long-poll open: a thousand hosts, their vxctl users and idle clients.
  int max_connections = 10000;
  // Watchers are woken at most this often: a burst of changes goes out in a few answers per
  // watcher (bench/controlplane_bench), well inside the second a change may take to reach every agent.
  int watch_pace_ms = 50;
  int quarantine_ms = 10000;
  int redis_ack_replicas = 0;
  // Long enough for a host to reboot, or to be repaired over a weekend, without losing its
  // containers' addresses.
  int64_t host_expiry_ms = 7LL * 24 * 3600 * 1000;
};

Result<std::optional<Ipv4>> optional_ip(const std::string& text) {
  if (text.empty()) return std::optional<Ipv4>();
  auto ip = Ipv4::parse(text);
  if (!ip) return ip.error();
  return std::optional<Ipv4>(*ip);
}

Result<IpamConfig> validate(const Flags& flags) {
  auto listen = parse_listen_address(flags.listen);
  if (!listen) return listen.error();
  auto redis = parse_redis_url(flags.redis);
  if (!redis) return redis.error();
  // Kept out of the URL, so that it shows in no process listing.
  if (const char* password = std::getenv("VXLAN_IPAM_REDIS_PASSWORD"); password && redis->password.empty()) {
    redis->password = password;
  }
  auto subnet = Cidr::parse(flags.subnet);
  if (!subnet) return subnet.error();
  auto first = optional_ip(flags.range_start);
  if (!first) return first.error();
  auto last = optional_ip(flags.range_end);
  if (!last) return last.error();
  std::vector<Ipv4> reserved;
  for (const auto& text : flags.reserve) {
    auto ip = Ipv4::parse(text);
    if (!ip) return ip.error();
    reserved.push_back(*ip);
  }
  auto pool = PoolSpec::make(*subnet, *first, *last, std::move(reserved));
  if (!pool) return pool.error();
  if (flags.threads < 1 || flags.threads > 64) return bad_input("invalid_threads", "--threads must be 1 to 64");
  if (flags.redis_timeout_ms < 10) return bad_input("invalid_timeout", "--redis-timeout-ms must be at least 10");
  if (flags.host_ttl_ms < 100) return bad_input("invalid_ttl", "--host-ttl-ms must be at least 100");
  if (flags.max_connections < 1) return bad_input("invalid_max_connections", "--max-connections must be at least 1");
  if (flags.watch_pace_ms < 0 || flags.watch_pace_ms > 1000) {
    return bad_input("invalid_watch_pace", "--watch-pace-ms must be 0 to 1000");
  }
  if (flags.quarantine_ms < 0 || flags.quarantine_ms > 600000) {
    return bad_input("invalid_quarantine", "--quarantine-ms must be 0 to 600000");
  }
  if (flags.redis_ack_replicas < 0 || flags.redis_ack_replicas > 16) {
    return bad_input("invalid_ack_replicas", "--redis-ack-replicas must be 0 to 16");
  }
  if (flags.host_expiry_ms != 0 && flags.host_expiry_ms < flags.host_ttl_ms) {
    return bad_input("invalid_host_expiry", "--host-expiry-ms must be 0 (never) or at least --host-ttl-ms");
  }
  auto token = load_token(flags.token_file);
  if (!token) return token.error();
  return IpamConfig{*listen, *redis, *pool, flags.log_level, flags.threads,
                    std::chrono::milliseconds(flags.redis_timeout_ms),
                    std::chrono::milliseconds(flags.host_ttl_ms), *token,
                    static_cast<size_t>(flags.max_connections), std::chrono::milliseconds(flags.watch_pace_ms),
                    std::chrono::milliseconds(flags.quarantine_ms), flags.redis_ack_replicas,
                    std::chrono::milliseconds(flags.host_expiry_ms), flags.log_format, flags.open_metrics};
}

}  // namespace

std::variant<IpamConfig, ExitCode> parse_ipam_config(int argc, char** argv) {
  Flags flags;
  CLI::App app{"vxlan-ipam: the cluster's IP address manager, backed by Redis"};
  app.option_defaults()->always_capture_default();
  app.add_option("--listen", flags.listen, "ADDRESS:PORT to serve HTTP on")->envname("VXLAN_IPAM_LISTEN");
  app.add_option("--redis", flags.redis, "redis://[:PASSWORD@]HOST:PORT[/DB], or sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB]; "
                 "a password is better given in VXLAN_IPAM_REDIS_PASSWORD")
      ->envname("VXLAN_IPAM_REDIS");
  app.add_option("--subnet", flags.subnet, "the overlay network the pool lies in")->envname("VXLAN_IPAM_SUBNET");
  app.add_option("--range-start", flags.range_start, "first address handed out (default: the subnet's first host)")
      ->envname("VXLAN_IPAM_RANGE_START");
  app.add_option("--range-end", flags.range_end, "last address handed out (default: the subnet's last host)")
      ->envname("VXLAN_IPAM_RANGE_END");
  app.add_option("--reserve", flags.reserve, "an address never handed out; repeat, or comma-separate")
      ->delimiter(',')
      ->envname("VXLAN_IPAM_RESERVE");
  app.add_option("--log-level", flags.log_level, std::string("one of ") + kLogLevels)->envname("VXLAN_IPAM_LOG_LEVEL");
  app.add_option("--log-format", flags.log_format, std::string("one of ") + kLogFormats + ": JSON lines for log shippers")
      ->envname("VXLAN_IPAM_LOG_FORMAT");
  app.add_flag("--metrics-open", flags.open_metrics,
               "serve GET /metrics without the cluster token, for a scraper that cannot send one")
      ->envname("VXLAN_IPAM_METRICS_OPEN");
  app.add_option("--threads", flags.threads, "HTTP worker threads, each with its own Redis connection")
      ->envname("VXLAN_IPAM_THREADS");
  app.add_option("--redis-timeout-ms", flags.redis_timeout_ms, "deadline for each Redis command")
      ->envname("VXLAN_IPAM_REDIS_TIMEOUT_MS");
  app.add_option("--host-ttl-ms", flags.host_ttl_ms,
                 "a host whose last heartbeat is older than this is no longer a peer")
      ->envname("VXLAN_IPAM_HOST_TTL_MS");
  app.add_option("--max-connections", flags.max_connections,
                 "open connections served at once; more are answered 503 and closed")
      ->envname("VXLAN_IPAM_MAX_CONNECTIONS");
  app.add_option("--watch-pace-ms", flags.watch_pace_ms,
                 "watchers of the change feed are woken at most this often; 0: at every change")
      ->envname("VXLAN_IPAM_WATCH_PACE_MS");
  app.add_option("--quarantine-ms", flags.quarantine_ms,
                 "after Redis lost the registry, only addresses asked for by name are handed out for this long, "
                 "while the agents reserve their containers' again")
      ->envname("VXLAN_IPAM_QUARANTINE_MS");
  app.add_option("--redis-ack-replicas", flags.redis_ack_replicas,
                 "an allocation is answered only once this many of the master's replicas hold it (WAIT), or all of "
                 "them when fewer are connected, so that a failover never loses one that was answered")
      ->envname("VXLAN_IPAM_REDIS_ACK_REPLICAS");
  app.add_option("--host-expiry-ms", flags.host_expiry_ms,
                 "a host silent this long is removed for good, its addresses released (0: never)")
      ->envname("VXLAN_IPAM_HOST_EXPIRY_MS");
  app.add_option("--token-file", flags.token_file,
                 "a file holding the cluster's token (default: $VXLAN_TOKEN; none: no authentication)")
      ->envname("VXLAN_IPAM_TOKEN_FILE");
  return parse_command_line<IpamConfig>(app, argc, argv, "vxlan-ipam", [&] { return validate(flags); });
}

}  // namespace vx::ipam
