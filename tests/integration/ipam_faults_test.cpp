// vxlan-ipam when things go wrong: Redis down, restarted, wiped; IPAMs killed under load; several
// replicas racing on one Redis. After each, the registry's invariants must hold.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <deque>
#include <mutex>
#include <thread>

#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

const std::set<std::string>& default_pool() {
  static const auto pool = address_range("172.20.0.1", "172.20.255.254");
  return pool;
}

TEST(IpamFaults, RedisDownAnswers503AndRecoversByItself) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--redis-timeout-ms", "500"});
  ASSERT_EQ(ipam.allocate("before", "host1").status, 200);
  redis.stop();

  auto health = ipam.get("/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(health.body.at("status"), "unhealthy");
  EXPECT_EQ(health.body.at("error"), "redis_unavailable");
  EXPECT_NE(health.body.at("detail").as_string().find("127.0.0.1:" + std::to_string(redis.port())),
            std::string::npos) << health.raw;
  auto allocate = ipam.allocate("during", "host1");
  EXPECT_EQ(allocate.status, 503);
  EXPECT_EQ(allocate.body.at("error"), "redis_unavailable");
  EXPECT_EQ(ipam.get("/stats").status, 503);
  EXPECT_EQ(ipam.get("/containers").status, 503);

  redis.start();
  EXPECT_TRUE(wait_until([&] { return ipam.get("/health").status == 200; }, std::chrono::seconds(5)));
  EXPECT_EQ(ipam.get("/check/before").body.at("exists"), true);
  EXPECT_EQ(ipam.get("/check/during").body.at("exists"), false);
  EXPECT_EQ(ipam.allocate("after", "host1").status, 200);
  auto client = redis.client();
  EXPECT_EQ(check_registry_invariants(client, default_pool()), std::nullopt);
}

TEST(IpamFaults, AHungRedisAnswers503AtTheDeadline) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--redis-timeout-ms", "300"});
  ASSERT_EQ(ipam.allocate("before", "host1").status, 200);
  redis.pause();
  auto started = std::chrono::steady_clock::now();
  auto stalled = ipam.allocate("during", "host1");
  auto waited = std::chrono::steady_clock::now() - started;
  redis.resume();
  EXPECT_EQ(stalled.status, 503) << stalled.raw;
  EXPECT_NE(stalled.raw.find("no reply within 300 ms"), std::string::npos) << stalled.raw;
  EXPECT_LT(waited, std::chrono::seconds(3));  // the HTTP client gives up at 5 s: the IPAM did first
  EXPECT_TRUE(wait_until([&] { return ipam.get("/health").status == 200; }, std::chrono::seconds(5)));
  EXPECT_EQ(ipam.allocate("after", "host1").status, 200);
  auto client = redis.client();
  EXPECT_EQ(check_registry_invariants(client, default_pool()), std::nullopt);
}

// Found by a hostile probe: with Redis stopped (SIGSTOP), every answer waited out the Redis
// deadline, 2-4.3 s each. Once a reply is overdue, Redis is known to be down, and the IPAM answers
// 503 at once until Redis answers again; nothing is sent meanwhile, so nothing is half-done.
TEST(IpamFaults, AHungRedisKnownToBeDownIsAnsweredAtOnce) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--redis-timeout-ms", "1500"});
  ASSERT_EQ(ipam.allocate("before", "host1").status, 200);
  redis.pause();
  EXPECT_EQ(ipam.allocate("first", "host1").status, 503);  // waits out the deadline: how it is known
  for (int i = 0; i < 5; ++i) {
    auto started = std::chrono::steady_clock::now();
    auto refused = ipam.allocate("during" + std::to_string(i), "host1");
    auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(refused.status, 503) << refused.raw;
    EXPECT_EQ(text(refused.body.at("error")), "redis_unavailable") << refused.raw;
    EXPECT_LT(waited, std::chrono::milliseconds(750)) << "answer " << i;  // half the deadline
  }
  redis.resume();
  EXPECT_TRUE(wait_until([&] { return ipam.allocate("after", "host1").status == 200; }, std::chrono::seconds(5)));
  auto client = redis.client();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(client.get({"HGET", "container_ips", "during" + std::to_string(i)}));
  EXPECT_EQ(check_registry_invariants(client, default_pool()), std::nullopt);
}

TEST(IpamFaults, IpamStartedBeforeRedisWritesThePoolWhenRedisComes) {
  RedisServer redis;
  redis.stop();
  IpamDaemon ipam(redis.url());
  EXPECT_EQ(ipam.get("/health").status, 503);
  redis.start();
  EXPECT_TRUE(wait_until([&] { return ipam.get("/health").status == 200; }, std::chrono::seconds(5)));
  EXPECT_EQ(ipam.get("/stats").body.at("available_ips"), 65534);
}

void restart_keeps_registry(const std::string& appendfsync, bool kill9) {
  RedisServer redis(appendfsync);
  IpamDaemon ipam(redis.url());
  std::map<std::string, std::string> held;
  for (int i = 0; i < 50; ++i) {
    std::string name = "c" + std::to_string(i);
    auto response = ipam.allocate(name, "host" + std::to_string(i % 3));
    ASSERT_EQ(response.status, 200);
    held[name] = response.body.at("ip_address").as_string();
  }
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(ipam.release("c" + std::to_string(i)).status, 200);
    held.erase("c" + std::to_string(i));
  }
  if (appendfsync == "everysec") std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill9 ? redis.kill9() : redis.stop();
  redis.start();
  ASSERT_TRUE(wait_until([&] { return ipam.get("/health").status == 200; }, std::chrono::seconds(5)));
  auto list = ipam.get("/containers");
  ASSERT_EQ(list.status, 200);
  std::map<std::string, std::string> after;
  for (const auto& entry : list.body.as_array()) {
    after[std::string(entry.at("container_name").as_string())] = entry.at("ip_address").as_string();
  }
  EXPECT_EQ(after, held);
  EXPECT_EQ(ipam.get("/stats").body.at("allocated_ips"), 40);
  auto client = redis.client();
  EXPECT_EQ(check_registry_invariants(client, default_pool()), std::nullopt);
}

TEST(IpamFaults, RedisRestartKeepsTheRegistry) { restart_keeps_registry("everysec", false); }

TEST(IpamFaults, RedisKilledWithAppendfsyncAlwaysKeepsTheRegistry) {
  restart_keeps_registry("always", true);
}

// Found by a hostile probe: after FLUSHALL the IPAM wrote the pool again at once and, 0.5-2.2 s
// later, handed 6 of 25 running containers' addresses to new names before their agents reserved
// them again. The pool now comes back under a quarantine: only addresses asked for by name (the
// agents' re-reservations) are handed out until it passes.
TEST(IpamFaults, RedisWipedGetsItsPoolBackUnderAQuarantine) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--quarantine-ms", "2000"});
  auto running = ipam.allocate("ca", "host1");
  ASSERT_EQ(running.status, 200);
  auto client = redis.client();
  client.get({"FLUSHALL"});
  auto wiped = std::chrono::steady_clock::now();

  auto held_back = ipam.allocate("cb", "host1");
  EXPECT_EQ(held_back.status, 503) << held_back.raw;
  EXPECT_EQ(text(held_back.body.at("error")), "pool_quarantined") << held_back.raw;
  auto stats = ipam.get("/stats");
  EXPECT_EQ(stats.body.at("total_ips"), 65534);
  EXPECT_EQ(stats.body.at("allocated_ips"), 0);
  // The agent of "ca" reserves its address again, by name and address.
  std::string again = R"({"container_name":"ca","host_id":"host1","ip_address":")" + text(running.body.at("ip_address")) + "\"}";
  ASSERT_EQ(ipam.post("/allocate", again).status, 200);

  ASSERT_TRUE(wait_until([&] { return ipam.allocate("cb", "host1").status == 200; }, std::chrono::seconds(5)));
  EXPECT_GE(std::chrono::steady_clock::now() - wiped, std::chrono::milliseconds(1900));  // not before it passed
  EXPECT_NE(text(ipam.get("/container/cb").body.at("ip_address")), text(running.body.at("ip_address")));
  EXPECT_EQ(ipam.get("/stats").body.at("allocated_ips"), 2);
  EXPECT_EQ(check_registry_invariants(client, default_pool()), std::nullopt);
}

// Found by a hostile probe: after another IPAM re-initialised the same Redis with another subnet,
// a running IPAM went on allocating from that pool (10.50.x.y from a 172.20.0.0/16 IPAM). Every
// allocation now checks, in its own script, that the pool is the one this IPAM serves.
TEST(IpamFaults, AnIpamNeverAllocatesFromAnotherIpamsPool) {
  RedisServer redis;
  IpamDaemon ours(redis.url());
  ASSERT_EQ(ours.allocate("ca", "host1").status, 200);
  auto client = redis.client();
  client.get({"FLUSHALL"});
  IpamDaemon other(redis.url(), {"--subnet", "10.50.0.0/16"});
  ASSERT_EQ(other.allocate("cb", "host2").status, 200);
  auto before = client.list({"SMEMBERS", "allocated_ips"});

  auto refused = ours.allocate("cc", "host1");
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_EQ(text(refused.body.at("error")), "pool_mismatch") << refused.raw;
  EXPECT_EQ(client.list({"SMEMBERS", "allocated_ips"}), before);  // nothing changed
  EXPECT_EQ(client.get({"HGET", "container_ips", "cc"}), std::nullopt);
}

// Addresses handed out and not yet given back, across all clients: an address that arrives while
// already here was handed out twice. An address leaves this map before its release is sent.
class Ledger {
 public:
  void take(const std::string& ip, const std::string& name) {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = held_.emplace(ip, name);
    if (!fresh) duplicates_.push_back(ip + " given to " + name + " while " + it->second + " held it");
  }
  void give_back(const std::string& ip) {
    std::lock_guard lock(mutex_);
    held_.erase(ip);
  }
  void fail(const std::string& what) {
    std::lock_guard lock(mutex_);
    failures_.push_back(what);
  }
  std::vector<std::string> duplicates() {
    std::lock_guard lock(mutex_);
    return duplicates_;
  }
  std::vector<std::string> failures() {
    std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> held_;
  std::vector<std::string> duplicates_;
  std::vector<std::string> failures_;
};

TEST(IpamFaults, TwoReplicasManyClientsNeverHandOutAnAddressTwice) {
  RedisServer redis;
  // A small pool, so that addresses are reused quickly and a race would show.
  std::vector<std::string> flags{"--subnet", "10.7.0.0/26"};
  IpamDaemon first(redis.url(), flags), second(redis.url(), flags);
  const IpamDaemon* replicas[] = {&first, &second};
  Ledger ledger;
  std::atomic<int> allocated{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      // Each client holds at most three addresses: 48 of the pool's 62, so none is ever exhausted
      // and every address is handed out, given back and handed out again many times.
      std::deque<std::pair<std::string, std::string>> holding;
      for (int i = 0; i < 60; ++i) {
        if (holding.size() == 3) {
          auto [old_name, old_ip] = holding.front();
          holding.pop_front();
          ledger.give_back(old_ip);
          auto released = replicas[(c + i + 1) % 2]->release(old_name);
          if (released.status != 200) ledger.fail(old_name + ": " + std::to_string(released.status) + " " + released.raw);
        }
        std::string name = "c" + std::to_string(c) + "-" + std::to_string(i);
        auto response = replicas[(c + i) % 2]->allocate(name, "host" + std::to_string(c % 4));
        if (response.status != 200) {
          ledger.fail(name + ": " + std::to_string(response.status) + " " + response.raw);
          continue;
        }
        ++allocated;
        holding.emplace_back(name, text(response.body.at("ip_address")));
        ledger.take(holding.back().second, name);
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(ledger.duplicates(), std::vector<std::string>());
  EXPECT_EQ(ledger.failures(), std::vector<std::string>());
  EXPECT_EQ(allocated, 16 * 60);
  EXPECT_EQ(first.get("/stats").body.at("allocated_ips"), 16 * 3);
  auto client = redis.client();
  EXPECT_EQ(check_registry_invariants(client, address_range("10.7.0.1", "10.7.0.62")), std::nullopt);
}

TEST(IpamFaults, OneNameFromTwoHostsAtOnceGetsOneAddress) {
  RedisServer redis;
  IpamDaemon first(redis.url()), second(redis.url());
  for (int round = 0; round < 30; ++round) {
    std::string name = "contested" + std::to_string(round);
    std::atomic<int> ok{0}, conflicts{0};
    std::thread a([&] { (first.allocate(name, "hostA").status == 200 ? ok : conflicts)++; });
    std::thread b([&] { (second.allocate(name, "hostB").status == 200 ? ok : conflicts)++; });
    a.join();
    b.join();
    EXPECT_EQ(ok, 1) << name;
    EXPECT_EQ(conflicts, 1) << name;
  }
  auto client = redis.client();
  EXPECT_EQ(client.integer({"SCARD", "allocated_ips"}), 30);
  EXPECT_EQ(check_registry_invariants(client, default_pool()), std::nullopt);
}

TEST(IpamFaults, KillDashNineUnderLoadLeavesTheRegistryWhole) {
  RedisServer redis;
  auto victim = std::make_unique<IpamDaemon>(redis.url());
  uint16_t port = victim->port();
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; !stop; ++i) {
        std::string name = "k" + std::to_string(c) + "-" + std::to_string(i);
        auto response = http_json(port, "POST", "/allocate",
                                  boost::json::serialize(boost::json::object{{"container_name", name}, {"host_id", "h"}}));
        if (response.status == 200) {
          ++answered;
          if (i % 2 == 0) http_json(port, "POST", "/release", R"({"container_name":")" + name + "\"}");
        }
      }
    });
  }
  ASSERT_TRUE(wait_until([&] { return answered > 300; }, std::chrono::seconds(20)));
  victim->process().kill9();
  stop = true;
  for (auto& client : clients) client.join();
  auto client = redis.client();
  EXPECT_EQ(check_registry_invariants(client, default_pool()), std::nullopt);

  IpamDaemon successor(redis.url());  // and a new IPAM carries on from there
  EXPECT_EQ(successor.get("/health").status, 200);
  EXPECT_EQ(successor.allocate("next", "h").status, 200);
  EXPECT_EQ(check_registry_invariants(client, default_pool()), std::nullopt);
}

}  // namespace
}  // namespace vx::test
