// vxlan-ipam: serves the registry over HTTP until SIGTERM. Exits 2 on a configuration error,
// including a Redis that holds the pool of another subnet.
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <algorithm>
#include <thread>

#include "common/auth.h"
#include "common/http_server.h"
#include "common/run_blocking.h"
#include "ipam/api.h"
#include "ipam/config.h"
#include "ipam/host_removal.h"
#include "ipam/redis/feed.h"
#include "ipam/redis/host_registry.h"
#include "ipam/redis/sentinel.h"
#include "ipam/redis/store.h"
#include "ipam/view/cluster_view.h"

namespace vx::ipam {

namespace {

// Refuses to start against a Redis that holds another pool. A Redis that does not answer yet is
// only a warning: the pool is written on the first request that finds Redis up.
bool check_pool_at_start(const IpamConfig& config, PoolState& state) {
  boost::asio::io_context io;
  RedisStore store(std::make_shared<RedisConnection>(io, config.redis, config.redis_timeout),
                       config.pool, state);
  Status status = run_blocking(io, store.ensure_pool());
  if (status) return true;
  if (status.error().kind == ErrorKind::kUnavailable && status.error().code == "redis_unavailable") {
    spdlog::warn("{}; serving anyway and retrying on each request", status.error().detail);
    return true;
  }
  spdlog::critical("{}", status.error().detail);
  return false;
}

// The view's feed and the host sweeper on a thread of their own, so that no HTTP worker ever
// waits behind the blocking read of the change log.
class FeedThread {
 public:
  FeedThread(const IpamConfig& config, ClusterView& view)
      : feed_(io_, config.redis, config.redis_timeout, config.host_ttl, view) {
    boost::asio::co_spawn(io_, feed_.follow(), boost::asio::detached);
    boost::asio::co_spawn(io_, feed_.sweep(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FeedThread() {
    io_.stop();
    thread_.join();
  }

 private:
  boost::asio::io_context io_{1};
  RedisFeed feed_;
  std::thread thread_;
};

}  // namespace

int serve(int argc, char** argv) {
  auto parsed = parse_ipam_config(argc, argv);
  if (auto* exit = std::get_if<ExitCode>(&parsed)) return exit->code;
  const auto& config = std::get<IpamConfig>(parsed);
  spdlog::info("starting: pool {} ({} to {}, {} addresses, {} reserved), Redis at {}, {}",
               config.pool.subnet().to_string(), config.pool.first().to_string(),
               config.pool.last().to_string(), config.pool.size(), config.pool.reserved().size(),
               config.redis.to_string(), config.token.empty() ? "no authentication" : "token required");
  std::string warning = open_api_warning(config.listen, config.token);
  if (!warning.empty()) spdlog::warn("{}", warning);
  PoolState state;
  state.quarantine = config.quarantine;
  if (!check_pool_at_start(config, state)) return 2;

  std::optional<SentinelWatch> sentinels;
  if (config.redis.sentinel) sentinels.emplace(config.redis);
  Durability durability{config.redis_ack_replicas, config.redis_timeout / 2};
  ClusterView view(100000, config.watch_pace);
  FeedThread feed(config, view);
  // One io_context and one Redis connection per worker thread: handlers need no locks.
  std::vector<std::unique_ptr<boost::asio::io_context>> workers;
  std::vector<std::unique_ptr<Router>> routers;
  std::vector<HttpWorker> parts;
  Metrics metrics;
  IpamMetrics ipam_metrics(metrics);
  for (int i = 0; i < config.threads; ++i) {
    auto& io = *workers.emplace_back(std::make_unique<boost::asio::io_context>(1));
    auto redis = connect_to_registry(io, config.redis, config.redis_timeout);
    routers.push_back(make_ipam_router(std::make_unique<RedisStore>(redis, config.pool, state, durability),
                                           std::make_unique<RedisHostRegistry>(redis, config.host_ttl),
                                           config.pool, view, warning, &ipam_metrics));
    parts.push_back({io.get_executor(), routers.back().get()});
  }
  // Every replica expires hosts; removal is idempotent, so they need no coordination.
  std::unique_ptr<Store> expiry_store;
  std::unique_ptr<HostRegistry> expiry_hosts;
  if (config.host_expiry.count() > 0) {
    auto redis = connect_to_registry(*workers.front(), config.redis, config.redis_timeout);
    expiry_store = std::make_unique<RedisStore>(redis, config.pool, state, durability);
    expiry_hosts = std::make_unique<RedisHostRegistry>(redis, config.host_ttl);
    auto every = std::clamp<std::chrono::milliseconds>(config.host_expiry / 10, std::chrono::milliseconds(100),
                                                       std::chrono::minutes(1));
    boost::asio::co_spawn(*workers.front(), expire_hosts(*expiry_store, *expiry_hosts, view, config.host_expiry, every),
                          boost::asio::detached);
  }
  HttpServer server(
      {.token = config.token, .max_connections = config.max_connections, .open_metrics = config.open_metrics}, parts);
  if (auto listening = server.listen_tcp(config.listen.host, config.listen.port); !listening) {
    spdlog::critical("{}", listening.error().detail);
    return 2;
  }
  std::vector<boost::asio::io_context*> io_contexts;
  for (auto& io : workers) io_contexts.push_back(io.get());
  serve_until_signalled(server, io_contexts, [&view] { view.close(); });
  return 0;
}

}  // namespace vx::ipam

int main(int argc, char** argv) { return vx::ipam::serve(argc, argv); }
