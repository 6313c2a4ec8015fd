// Redis failover under allocation load, on real parts: a master, a replica and three Sentinels
// (support/redis_server.h), and a real vxlan-ipam given the sentinel:// URL and
// --redis-ack-replicas 1. The master is killed with SIGKILL while a client allocates as fast as
// it can. Afterwards: allocations resumed within 10 s (the figure is printed), every allocation the
// client saw succeed is in the new master with its address, and no address is held twice.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST(RedisFailover, KillingTheMasterUnderLoadLosesNoAnsweredAllocation) {
  SentinelCluster cluster;
  IpamDaemon ipam(cluster.url(), {"--redis-ack-replicas", "1", "--redis-timeout-ms", "1000"});
  ASSERT_TRUE(wait_until([&] { return ipam.get("/health").status == 200; }, 10s)) << ipam.get("/health").raw;

  std::map<std::string, std::string> answered;  // name -> address, as the client saw it succeed
  int next = 0;
  auto allocate_one = [&]() {
    std::string name = "load-" + std::to_string(next++);
    auto response = ipam.allocate(name, "host1");
    if (response.status == 200) answered[name] = text(response.body.at("ip_address"));
    return response.status == 200;
  };
  while (answered.size() < 200 && next < 400) allocate_one();
  ASSERT_EQ(answered.size(), 200u) << "allocations fail before the kill";

  uint16_t old_master = cluster.master().port();
  auto killed = Clock::now();
  cluster.master().kill9();
  std::optional<Clock::time_point> resumed;
  size_t failed = 0;
  while (Clock::now() - killed < 30s) {
    if (allocate_one()) {
      if (!resumed) resumed = Clock::now();
      if (Clock::now() - *resumed > 2s) break;  // and keeps going
    } else {
      ++failed;
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(resumed) << "no allocation succeeded within 30 s of the kill";
  auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(*resumed - killed).count();
  std::printf("allocations resumed %lld ms after the master's kill -9 (%zu refused meanwhile, %zu answered in all)\n",
              static_cast<long long>(gap), failed, answered.size());
  EXPECT_LE(gap, 10000);

  uint16_t new_master = cluster.master_port();
  ASSERT_EQ(new_master, cluster.replica().port()) << "the Sentinels did not promote the replica";
  ASSERT_NE(new_master, old_master);
  RedisClient redis(new_master);
  size_t missing = 0;
  for (const auto& [name, address] : answered) {
    if (redis.get({"HGET", "container_ips", name}) != address) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "answered allocations lost in the failover";
  auto names = redis.list({"HGETALL", "container_ips"});
  std::set<std::string> addresses;
  for (size_t i = 1; i < names.size(); i += 2) EXPECT_TRUE(addresses.insert(names[i]).second) << names[i] << " twice";
  auto broken = check_registry_invariants(redis, address_range("172.20.0.1", "172.20.255.254"));
  EXPECT_FALSE(broken) << *broken;
}

// A replica that is connected but does not acknowledge (stalled) makes the allocation a 503 rather
// than an answer a failover could lose; a master without replicas answers, having nothing a
// failover could promote.
TEST(RedisFailover, AnAllocationNoReplicaAcknowledgesIsRefused) {
  RedisServer master;
  IpamDaemon alone(master.url(), {"--redis-ack-replicas", "1"});
  EXPECT_EQ(alone.allocate("before-the-replica", "host1").status, 200);

  RedisServer replica("everysec", {"--replicaof", "127.0.0.1", std::to_string(master.port())});
  ASSERT_TRUE(wait_until([&] { return master.client().get({"INFO", "replication"})->find("state=online") != std::string::npos; }, 10s));
  IpamDaemon ipam(master.url(), {"--redis-ack-replicas", "1", "--redis-timeout-ms", "400"});
  EXPECT_EQ(ipam.allocate("acknowledged", "host1").status, 200);
  replica.pause();
  auto refused = ipam.allocate("unacknowledged", "host1");
  replica.resume();
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_EQ(text(refused.body.at("error")), "not_replicated");
  auto again = ipam.allocate("unacknowledged", "host1");  // the same address, now that the replica has it
  EXPECT_EQ(again.status, 200) << again.raw;
}

}  // namespace
}  // namespace vx::test
