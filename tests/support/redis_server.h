// A real redis-server for a test: its own port on 127.0.0.1, its own directory, AOF on, and a
// blocking client to inspect what the IPAM wrote (the registry's invariants, for one).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/process.h"

struct redisContext;

namespace vx::test {

class RedisClient {
 public:
  explicit RedisClient(uint16_t port);
  ~RedisClient();
  bool connected() const { return context_ != nullptr; }
  // The reply as a string (or an integer in decimal); std::nullopt for nil or no connection.
  std::optional<std::string> get(const std::vector<std::string>& argv);
  std::vector<std::string> list(const std::vector<std::string>& argv);
  long long integer(const std::vector<std::string>& argv);

 private:
  redisContext* context_ = nullptr;
};

class RedisServer {
 public:
  // `extra`: more redis-server flags, e.g. {"--replicaof", "127.0.0.1", "6379"}.
  explicit RedisServer(std::string appendfsync = "everysec", std::vector<std::string> extra = {});
  ~RedisServer();

  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  void start();  // and wait until it answers PING
  void stop();   // SIGTERM: Redis rewrites nothing, the AOF is already on disk
  void kill9();
  // SIGSTOP / SIGCONT: Redis stalls with its connections open, as a hung server does.
  void pause();
  void resume();
  RedisClient client() const { return RedisClient(port_); }

 private:
  TempDir dir_;
  uint16_t port_;
  std::string appendfsync_;
  std::vector<std::string> extra_;
  std::unique_ptr<Process> process_;
};

// A master, its replica and three Sentinels watching it as "vxlan" (quorum 2, down after 1 s), all
// on 127.0.0.1: the deployment deploy/ describes, for failover tests. Up once the replica holds its
// copy and every Sentinel knows it and the other Sentinels, so that a failover can be authorised.
class SentinelCluster {
 public:
  static constexpr const char* kMaster = "vxlan";
  SentinelCluster();
  ~SentinelCluster();

  RedisServer& master() { return *master_; }
  RedisServer& replica() { return *replica_; }
  // sentinel://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3/vxlan
  std::string url() const;
  // The port the Sentinels now name as the master's; 0 when they name none.
  uint16_t master_port() const;

 private:
  TempDir dir_;
  std::unique_ptr<RedisServer> master_;
  std::unique_ptr<RedisServer> replica_;
  std::vector<uint16_t> ports_;
  std::vector<std::unique_ptr<Process>> sentinels_;
};

// Every invariant of the registry, or the first one broken, in words.
std::optional<std::string> check_registry_invariants(RedisClient& redis,
                                                     const std::set<std::string>& pool);

// Every address from `first` to `last`, dotted.
std::set<std::string> address_range(const std::string& first, const std::string& last);

}  // namespace vx::test
