// vxlan-ipam on a real Redis: every endpoint, its error answers, and what the registry holds after.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/json.hpp>

#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

namespace json = boost::json;

std::string alloc_body(const std::string& name, const std::string& host, const std::string& ip = "") {
  json::object body{{"container_name", name}, {"host_id", host}};
  if (!ip.empty()) body["ip_address"] = ip;
  return json::serialize(body);
}

// Everything the registry holds, to compare before and after a request that must change nothing.
std::string snapshot(RedisClient& redis) {
  std::string out;
  for (const char* key : {"container_ips", "container_hosts", "ip_containers"}) {
    auto entries = redis.list({"HGETALL", key});
    std::sort(entries.begin(), entries.end());
    for (const auto& entry : entries) out += entry + ",";
    out += "|";
  }
  out += std::to_string(redis.integer({"SCARD", "available_ips"})) + "/" +
         std::to_string(redis.integer({"SCARD", "allocated_ips"}));
  return out;
}

class IpamEndpoints : public ::testing::Test {
 protected:
  RedisServer redis_;
  IpamDaemon ipam_{redis_.url()};
  RedisClient client_ = redis_.client();
};

TEST_F(IpamEndpoints, FreshPoolStats) {
  auto stats = ipam_.get("/stats");
  ASSERT_EQ(stats.status, 200) << stats.raw;
  EXPECT_EQ(stats.body.at("total_ips"), 65534);
  EXPECT_EQ(stats.body.at("allocated_ips"), 0);
  EXPECT_EQ(stats.body.at("available_ips"), 65534);
  EXPECT_EQ(stats.body.at("network_subnet"), "172.20.0.0/16");
  EXPECT_EQ(client_.integer({"SCARD", "available_ips"}), 65534);
  EXPECT_EQ(client_.integer({"SISMEMBER", "available_ips", "172.20.0.0"}), 0);
  EXPECT_EQ(client_.integer({"SISMEMBER", "available_ips", "172.20.255.255"}), 0);
  EXPECT_EQ(client_.integer({"SISMEMBER", "available_ips", "172.20.0.1"}), 1);
  auto health = ipam_.get("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body.at("status"), "healthy");
  EXPECT_EQ(ipam_.get("/").status, 200);
}

TEST_F(IpamEndpoints, AllocateIsIdempotentPerHostAndExclusiveAcrossHosts) {
  auto first = ipam_.allocate("test1", "host1");
  ASSERT_EQ(first.status, 200) << first.raw;
  EXPECT_EQ(first.body.at("success"), true);
  EXPECT_EQ(first.body.at("container_name"), "test1");
  EXPECT_EQ(first.body.at("host_id"), "host1");
  std::string ip(first.body.at("ip_address").as_string());
  EXPECT_EQ(client_.get({"HGET", "container_ips", "test1"}), ip);
  EXPECT_EQ(client_.get({"HGET", "container_hosts", "test1"}), "host1");
  EXPECT_EQ(client_.get({"HGET", "ip_containers", ip}), "test1");
  EXPECT_EQ(client_.integer({"SISMEMBER", "allocated_ips", ip}), 1);
  EXPECT_EQ(client_.integer({"SISMEMBER", "available_ips", ip}), 0);

  auto again = ipam_.allocate("test1", "host1");
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(text(again.body.at("ip_address")), ip);

  auto before = snapshot(client_);
  auto other = ipam_.allocate("test1", "host2");
  EXPECT_EQ(other.status, 409);
  EXPECT_EQ(other.body.at("error"), "name_conflict");
  EXPECT_NE(other.body.at("detail").as_string().find("host1"), std::string::npos);
  EXPECT_EQ(snapshot(client_), before);
  EXPECT_EQ(ipam_.get("/stats").body.at("allocated_ips"), 1);
}

TEST_F(IpamEndpoints, ExactAddressReservation) {
  auto exact = ipam_.post("/allocate", alloc_body("web", "host1", "172.20.7.7"));
  ASSERT_EQ(exact.status, 200) << exact.raw;
  EXPECT_EQ(exact.body.at("ip_address"), "172.20.7.7");
  auto before = snapshot(client_);
  auto taken = ipam_.post("/allocate", alloc_body("web2", "host1", "172.20.7.7"));
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(taken.body.at("error"), "ip_taken");
  auto outside = ipam_.post("/allocate", alloc_body("web3", "host1", "10.0.0.1"));
  EXPECT_EQ(outside.status, 400);
  EXPECT_EQ(outside.body.at("error"), "ip_outside_pool");
  auto broadcast = ipam_.post("/allocate", alloc_body("web3", "host1", "172.20.255.255"));
  EXPECT_EQ(broadcast.status, 400);
  auto other_ip = ipam_.post("/allocate", alloc_body("web", "host1", "172.20.7.8"));
  EXPECT_EQ(other_ip.status, 409);
  EXPECT_EQ(snapshot(client_), before);
  EXPECT_EQ(ipam_.post("/allocate", alloc_body("web", "host1", "172.20.7.7")).status, 200);
}

TEST_F(IpamEndpoints, ReadEndpoints) {
  ASSERT_EQ(ipam_.allocate("ca", "host1").status, 200);
  ASSERT_EQ(ipam_.allocate("cb", "host2").status, 200);
  auto list = ipam_.get("/containers");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body.as_array().size(), 2u);
  std::map<std::string, std::string> hosts;
  for (const auto& entry : list.body.as_array()) {
    EXPECT_TRUE(entry.at("ip_address").is_string());
    hosts[std::string(entry.at("container_name").as_string())] = entry.at("host_id").as_string();
  }
  EXPECT_EQ(hosts, (std::map<std::string, std::string>{{"ca", "host1"}, {"cb", "host2"}}));

  auto one = ipam_.get("/container/cb");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body.at("host_id"), "host2");
  EXPECT_EQ(ipam_.get("/container/zzz").status, 404);
  auto exists = ipam_.get("/check/ca");
  EXPECT_EQ(exists.body.at("exists"), true);
  EXPECT_EQ(exists.body.at("host_id"), "host1");
  auto absent = ipam_.get("/check/zzz");
  EXPECT_EQ(absent.status, 200);
  EXPECT_EQ(absent.body.at("exists"), false);
}

TEST_F(IpamEndpoints, DeallocateAndReleaseReturnTheAddress) {
  std::string a(ipam_.allocate("ca", "host1").body.at("ip_address").as_string());
  std::string b(ipam_.allocate("cb", "host1").body.at("ip_address").as_string());
  auto released = ipam_.post("/deallocate", R"({"container_name":"ca"})");
  ASSERT_EQ(released.status, 200) << released.raw;
  EXPECT_EQ(text(released.body.at("ip_address")), a);
  EXPECT_EQ(client_.integer({"SISMEMBER", "available_ips", a}), 1);
  auto wrong_host = ipam_.post("/release", R"({"container_name":"cb","host_id":"host9"})");
  EXPECT_EQ(wrong_host.status, 409);
  EXPECT_EQ(wrong_host.body.at("error"), "host_mismatch");
  EXPECT_EQ(ipam_.post("/release", R"({"container_name":"cb","host_id":"host1"})").status, 200);
  EXPECT_EQ(client_.integer({"SISMEMBER", "available_ips", b}), 1);
  auto gone = ipam_.post("/release", R"({"container_name":"cb"})");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body.at("error"), "unknown_container");
  EXPECT_EQ(ipam_.get("/stats").body.at("available_ips"), 65534);
  EXPECT_EQ(check_registry_invariants(client_, address_range("172.20.0.1", "172.20.255.254")), std::nullopt);
}

// A name that passed to another container of the same host (a new MAC) stays with it when the
// old one's release comes late; checked and released in one script, so nothing comes between.
TEST_F(IpamEndpoints, AReleaseForAnotherMacLeavesTheNameHeld) {
  std::string a(ipam_.allocate("pod", "host1").body.at("ip_address").as_string());
  ASSERT_EQ(ipam_.post("/container/pod/endpoint", R"({"host_id":"host1","mac_address":"02:00:00:00:00:0b"})").status, 200);
  auto before = snapshot(client_);
  auto late = ipam_.post("/release", R"({"container_name":"pod","host_id":"host1","mac_address":"02:00:00:00:00:0a"})");
  EXPECT_EQ(late.status, 409) << late.raw;
  EXPECT_EQ(late.body.at("error"), "mac_mismatch");
  EXPECT_EQ(snapshot(client_), before);
  auto own = ipam_.post("/release", R"({"container_name":"pod","host_id":"host1","mac_address":"02:00:00:00:00:0B"})");
  EXPECT_EQ(own.status, 200) << own.raw;
  EXPECT_EQ(client_.integer({"SISMEMBER", "available_ips", a}), 1);
}

TEST_F(IpamEndpoints, BadInputGetsPreciseErrorsAndChangesNothing) {
  ASSERT_EQ(ipam_.allocate("keep", "host1").status, 200);
  auto before = snapshot(client_);
  struct Case {
    std::string method, target, body;
    int status;
    std::string error;
  };
  std::vector<Case> cases = {
      {"POST", "/allocate", "{not json", 400, "invalid_json"},
      {"POST", "/allocate", "[]", 400, "invalid_json"},
      {"POST", "/allocate", R"({"host_id":"h"})", 400, "missing_field"},
      {"POST", "/allocate", R"({"container_name":"cx"})", 400, "missing_field"},
      {"POST", "/allocate", R"({"container_name":["x"],"host_id":"h"})", 400, "wrong_type"},
      {"POST", "/allocate", R"({"container_name":"x y","host_id":"h"})", 400, "invalid_name"},
      {"POST", "/allocate", R"({"container_name":"_x","host_id":"h"})", 400, "invalid_name"},
      {"POST", "/allocate", alloc_body(std::string(129, 'x'), "h"), 400, "invalid_name"},
      {"POST", "/allocate", alloc_body("cx", "h", "172.20.1"), 400, "invalid_ip"},
      {"POST", "/allocate", std::string(70000, ' '), 413, "body_too_large"},
      {"POST", "/deallocate", R"({"container_name":5})", 400, "wrong_type"},
      {"POST", "/release", "", 400, "invalid_json"},
      {"GET", "/container/a%20b", "", 400, "invalid_name"},
      {"GET", "/nowhere", "", 404, "unknown_path"},
      {"PUT", "/allocate", "", 405, "method_not_allowed"},
      {"DELETE", "/containers", "", 405, "method_not_allowed"},
  };
  for (const auto& c : cases) {
    auto response = http_json(ipam_.port(), c.method, c.target, c.body);
    EXPECT_EQ(response.status, c.status) << c.method << " " << c.target << " " << c.body.substr(0, 60);
    ASSERT_TRUE(response.body.is_object()) << response.raw;
    EXPECT_EQ(text(response.body.at("error")), c.error) << response.raw;
    EXPECT_TRUE(response.body.at("detail").is_string());
  }
  EXPECT_EQ(snapshot(client_), before);
  EXPECT_EQ(ipam_.get("/health").status, 200);  // and the daemon is still fine
}

TEST(IpamPool, ExhaustedPoolFailsCleanlyAndRecovers) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--subnet", "10.9.0.0/28", "--reserve", "10.9.0.1"});
  auto client = redis.client();
  std::set<std::string> handed_out;
  for (int i = 0; i < 13; ++i) {
    auto response = ipam.allocate("c" + std::to_string(i), "host1");
    ASSERT_EQ(response.status, 200) << response.raw;
    handed_out.insert(std::string(response.body.at("ip_address").as_string()));
  }
  EXPECT_EQ(handed_out.size(), 13u);
  EXPECT_FALSE(handed_out.count("10.9.0.1"));  // reserved
  EXPECT_FALSE(handed_out.count("10.9.0.0"));
  EXPECT_FALSE(handed_out.count("10.9.0.15"));
  auto before = snapshot(client);
  auto full = ipam.allocate("one-too-many", "host1");
  EXPECT_EQ(full.status, 409);
  EXPECT_EQ(full.body.at("error"), "pool_exhausted");
  EXPECT_NE(full.body.at("detail").as_string().find("no free address"), std::string::npos);
  EXPECT_EQ(snapshot(client), before);
  EXPECT_EQ(ipam.get("/check/one-too-many").body.at("exists"), false);
  auto pool = address_range("10.9.0.2", "10.9.0.14");
  EXPECT_EQ(check_registry_invariants(client, pool), std::nullopt);

  ASSERT_EQ(ipam.release("c4").status, 200);
  auto after = ipam.allocate("one-too-many", "host1");
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(ipam.get("/stats").body.at("available_ips"), 0);
  EXPECT_EQ(ipam.get("/stats").body.at("total_ips"), 13);
  EXPECT_EQ(check_registry_invariants(client, pool), std::nullopt);
}

TEST(IpamPool, InitialisationIsIdempotentAndFlushesNothing) {
  RedisServer redis;
  auto client = redis.client();
  client.get({"SET", "someone-elses-key", "precious"});
  std::string ip;
  {
    IpamDaemon ipam(redis.url());
    ip = std::string(ipam.allocate("survivor", "host1").body.at("ip_address").as_string());
  }
  auto before = snapshot(client);
  IpamDaemon again(redis.url());
  EXPECT_EQ(snapshot(client), before);
  EXPECT_EQ(text(again.get("/container/survivor").body.at("ip_address")), ip);
  EXPECT_EQ(client.get({"GET", "someone-elses-key"}), "precious");
  EXPECT_EQ(check_registry_invariants(client, address_range("172.20.0.1", "172.20.255.254")), std::nullopt);
}

TEST(IpamPool, RefusesAStoreOfAnotherSubnet) {
  RedisServer redis;
  { IpamDaemon ipam(redis.url()); }
  TempDir dir;
  Process other({ipam_binary(), "--listen", "127.0.0.1:" + std::to_string(free_port()), "--redis",
                 redis.url(), "--subnet", "10.50.0.0/24"},
                dir.path() + "/ipam.log");
  int status = other.wait_exit(std::chrono::seconds(10));
  ASSERT_NE(status, -1) << "an IPAM of another subnet kept running";
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(other.log().find("holds the pool of 172.20.0.0/16"), std::string::npos) << other.log();
  EXPECT_EQ(redis.client().integer({"SCARD", "available_ips"}), 65534);
}

TEST(IpamPool, ReservationChangesApplyOnRestart) {
  RedisServer redis;
  auto client = redis.client();
  { IpamDaemon ipam(redis.url(), {"--subnet", "10.9.0.0/28", "--reserve", "10.9.0.1,10.9.0.2"}); }
  EXPECT_EQ(client.integer({"SISMEMBER", "available_ips", "10.9.0.2"}), 0);
  IpamDaemon ipam(redis.url(), {"--subnet", "10.9.0.0/28", "--reserve", "10.9.0.1"});
  EXPECT_EQ(client.integer({"SISMEMBER", "available_ips", "10.9.0.2"}), 1);
  EXPECT_EQ(ipam.get("/stats").body.at("total_ips"), 13);
  EXPECT_EQ(check_registry_invariants(client, address_range("10.9.0.2", "10.9.0.14")), std::nullopt);
}

TEST(IpamDaemon, ExitsCleanlyOnSigterm) {
  RedisServer redis;
  IpamDaemon ipam(redis.url());
  int status = ipam.process().stop();
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(ipam.process().log().find("stopped"), std::string::npos);
}

}  // namespace
}  // namespace vx::test
