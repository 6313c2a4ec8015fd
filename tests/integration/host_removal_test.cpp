// Removing a dead host for good, against a real vxlan-ipam on a real Redis: by hand
// (DELETE /hosts/{id}?release=true, what vxctl host rm calls), refused while the host lives; and by
// itself once the host has been silent longer than --host-expiry-ms. Either way its addresses go
// back to the pool and the host leaves the peers, and nobody else's are touched.
#include <gtest/gtest.h>

#include <thread>

#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

using namespace std::chrono_literals;

void register_host(IpamDaemon& ipam, const std::string& id, const std::string& underlay) {
  auto registered = ipam.post("/hosts", R"({"host_id":")" + id + R"(","underlay_ip":")" + underlay +
                                            R"(","agent_url":"http://)" + underlay + R"(:8001"})");
  ASSERT_EQ(registered.status, 200) << registered.raw;
}

TEST(HostRemoval, ADeadHostIsRemovedWithItsAddressesAndALiveOneIsNot) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--host-ttl-ms", "300"});
  register_host(ipam, "gone", "10.0.0.1");
  register_host(ipam, "stays", "10.0.0.2");
  for (const char* name : {"g1", "g2"}) ASSERT_EQ(ipam.allocate(name, "gone").status, 200);
  ASSERT_EQ(ipam.allocate("s1", "stays").status, 200);

  auto alive = http_json(ipam.port(), "DELETE", "/hosts/gone?release=true");
  EXPECT_EQ(alive.status, 409) << alive.raw;
  EXPECT_EQ(text(alive.body.at("error")), "host_alive");
  EXPECT_EQ(ipam.get("/container/g1").status, 200) << "a refusal changes nothing";

  std::this_thread::sleep_for(500ms);
  auto removed = http_json(ipam.port(), "DELETE", "/hosts/gone?release=true");
  ASSERT_EQ(removed.status, 200) << removed.raw;
  EXPECT_EQ(removed.body.at("released").as_int64(), 2);
  EXPECT_EQ(ipam.get("/container/g1").status, 404);
  EXPECT_EQ(ipam.get("/container/g2").status, 404);
  EXPECT_EQ(ipam.get("/container/s1").status, 200);
  auto stats = ipam.get("/stats");
  EXPECT_EQ(stats.body.at("allocated_ips").as_int64(), 1);
  auto hosts = ipam.get("/hosts");
  ASSERT_EQ(hosts.body.as_array().size(), 1u);
  EXPECT_EQ(text(hosts.body.as_array()[0].at("host_id")), "stays");

  EXPECT_EQ(http_json(ipam.port(), "DELETE", "/hosts/gone?release=true").status, 404) << "nothing left to remove";
  EXPECT_EQ(http_json(ipam.port(), "DELETE", "/hosts/stays?release=maybe").status, 400);
}

TEST(HostRemoval, AHostSilentPastTheExpiryGoesByItself) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--host-ttl-ms", "300", "--host-expiry-ms", "1000"});
  register_host(ipam, "gone", "10.0.0.1");
  ASSERT_EQ(ipam.allocate("g1", "gone").status, 200);
  EXPECT_EQ(ipam.get("/container/g1").status, 200);
  ASSERT_TRUE(wait_until([&] { return ipam.get("/container/g1").status == 404; }, 5s)) << "not expired";
  EXPECT_EQ(ipam.get("/hosts").body.as_array().size(), 0u);
  EXPECT_EQ(ipam.get("/stats").body.at("allocated_ips").as_int64(), 0);
}

}  // namespace
}  // namespace vx::test
