// The host registry and the peer view on a real Redis: registration, heartbeats, expiry by TTL,
// leaving, endpoints' MACs, and what /peers shows the agents (every name, with its MAC once known).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

namespace json = boost::json;

std::string host_body(const std::string& id, const std::string& underlay) {
  return json::serialize(json::object{{"host_id", id}, {"underlay_ip", underlay},
                                      {"agent_url", "http://" + underlay + ":8001"}});
}

std::set<std::string> live_peers(const IpamDaemon& ipam) {
  std::set<std::string> out;
  auto peers = ipam.get("/peers");
  for (const auto& host : peers.body.at("hosts").as_array()) {
    if (host.at("alive").as_bool()) out.insert(text(host.at("host_id")));
  }
  return out;
}

// The endpoints /peers lists with a MAC: the ones a data plane can program.
std::vector<json::value> endpoints_with_mac(const IpamDaemon& ipam) {
  std::vector<json::value> out;
  auto peers = ipam.get("/peers");  // kept: the loop reads into it
  for (const auto& endpoint : peers.body.at("endpoints").as_array()) {
    if (endpoint.as_object().contains("mac_address")) out.push_back(endpoint);
  }
  return out;
}

class IpamHosts : public ::testing::Test {
 protected:
  RedisServer redis_;
  IpamDaemon ipam_{redis_.url(), {"--host-ttl-ms", "600"}};
};

TEST_F(IpamHosts, RegisterHeartbeatExpireAndLeave) {
  ASSERT_EQ(ipam_.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  ASSERT_EQ(ipam_.post("/hosts", host_body("host2", "10.0.1.12")).status, 200);
  EXPECT_EQ(live_peers(ipam_), (std::set<std::string>{"host1", "host2"}));

  // host1 keeps beating, host2 falls silent: after the TTL only host1 is a peer.
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(ipam_.post("/hosts/host1/heartbeat", "").status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  EXPECT_EQ(live_peers(ipam_), (std::set<std::string>{"host1"}));
  auto hosts = ipam_.get("/hosts");
  ASSERT_EQ(hosts.status, 200);
  ASSERT_EQ(hosts.body.as_array().size(), 2u);  // still registered, just not alive
  for (const auto& host : hosts.body.as_array()) {
    EXPECT_EQ(host.at("alive").as_bool(), text(host.at("host_id")) == "host1");
    EXPECT_EQ(text(host.at("agent_url")), "http://" + text(host.at("underlay_ip")) + ":8001");
  }
  // A heartbeat brings it back; leaving removes it at once.
  ASSERT_EQ(ipam_.post("/hosts/host2/heartbeat", "").status, 200);
  EXPECT_EQ(live_peers(ipam_), (std::set<std::string>{"host1", "host2"}));
  ASSERT_EQ(http_json(ipam_.port(), "DELETE", "/hosts/host1").status, 200);
  EXPECT_EQ(live_peers(ipam_), (std::set<std::string>{"host2"}));
  EXPECT_EQ(ipam_.get("/peers").body.at("hosts").as_array().size(), 1u);  // gone, not just dead
  auto unknown = ipam_.post("/hosts/host1/heartbeat", "");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body.at("error"), "unknown_host");
  EXPECT_EQ(http_json(ipam_.port(), "DELETE", "/hosts/host1").status, 404);
}

TEST_F(IpamHosts, ALiveHostsUnderlayAddressIsItsOwn) {
  ASSERT_EQ(ipam_.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  auto taken = ipam_.post("/hosts", host_body("impostor", "10.0.1.11"));
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(taken.body.at("error"), "underlay_taken");
  ASSERT_EQ(ipam_.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);  // registering again is fine
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // host1 is dead now: its address is free
  EXPECT_EQ(ipam_.post("/hosts", host_body("renamed", "10.0.1.11")).status, 200);
}

TEST_F(IpamHosts, EndpointsCarryTheirMacToThePeers) {
  ASSERT_EQ(ipam_.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  auto allocated = ipam_.allocate("web", "host1");
  ASSERT_EQ(allocated.status, 200);
  ASSERT_EQ(ipam_.allocate("nomac", "host1").status, 200);
  EXPECT_EQ(ipam_.get("/peers").body.at("endpoints").as_array().size(), 2u);  // every name, MAC or not
  EXPECT_EQ(endpoints_with_mac(ipam_).size(), 0u);

  auto wrong_host = ipam_.post("/container/web/endpoint", R"({"host_id":"host2","mac_address":"02:42:ac:14:00:05"})");
  EXPECT_EQ(wrong_host.status, 409);
  EXPECT_EQ(ipam_.post("/container/ghost/endpoint", R"({"host_id":"host1","mac_address":"02:42:ac:14:00:05"})").status, 404);
  auto recorded = ipam_.post("/container/web/endpoint", R"({"host_id":"host1","mac_address":"02:42:AC:14:00:05"})");
  ASSERT_EQ(recorded.status, 200) << recorded.raw;

  auto endpoints = endpoints_with_mac(ipam_);
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(text(endpoints[0].at("container_name")), "web");
  EXPECT_EQ(text(endpoints[0].at("mac_address")), "02:42:ac:14:00:05");
  EXPECT_EQ(endpoints[0].at("ip_address"), allocated.body.at("ip_address"));
  EXPECT_EQ(text(ipam_.get("/container/web").body.at("mac_address")), "02:42:ac:14:00:05");

  ASSERT_EQ(ipam_.post("/release", R"({"container_name":"web","host_id":"host1"})").status, 200);  // forgets the MAC too
  EXPECT_EQ(endpoints_with_mac(ipam_).size(), 0u);
  EXPECT_EQ(ipam_.get("/peers").body.at("endpoints").as_array().size(), 1u);
  EXPECT_FALSE(redis_.client().get({"HGET", "vxlan:container_macs", "web"}));
  ASSERT_EQ(ipam_.allocate("vxlan-gateway.host1", "host1").status, 200);
  auto hosts = ipam_.get("/hosts").body.as_array();
  ASSERT_EQ(hosts.size(), 1u);
  EXPECT_EQ(hosts[0].at("containers"), 1);  // "nomac"; the host's gateway is not a container
}

// Found by a hostile probe: any client could record another container's MAC for its own name, and
// the victim's forwarding entry then flapped between two hosts. A MAC now has one holder at a time,
// and only a unicast MAC is an interface's.
TEST_F(IpamHosts, AMacBelongsToOneContainerAndIsUnicast) {
  ASSERT_EQ(ipam_.allocate("victim", "host1").status, 200);
  ASSERT_EQ(ipam_.allocate("thief", "host2").status, 200);
  const std::string mac = "02:42:ac:14:00:05";
  ASSERT_EQ(ipam_.post("/container/victim/endpoint", R"({"host_id":"host1","mac_address":")" + mac + R"("})").status,
            200);
  auto stolen = ipam_.post("/container/thief/endpoint", R"({"host_id":"host2","mac_address":"02:42:AC:14:00:05"})");
  EXPECT_EQ(stolen.status, 409) << stolen.raw;
  EXPECT_EQ(text(stolen.body.at("error")), "mac_taken");
  EXPECT_FALSE(redis_.client().get({"HGET", "vxlan:container_macs", "thief"}));  // nothing changed
  ASSERT_EQ(endpoints_with_mac(ipam_).size(), 1u);
  EXPECT_EQ(text(endpoints_with_mac(ipam_)[0].at("container_name")), "victim");

  // A holder that moved on to another MAC, or left, frees its old one.
  ASSERT_EQ(ipam_.post("/container/victim/endpoint", R"({"host_id":"host1","mac_address":"02:42:ac:14:00:06"})").status,
            200);
  EXPECT_EQ(ipam_.post("/container/thief/endpoint", R"({"host_id":"host2","mac_address":")" + mac + R"("})").status,
            200);
  ASSERT_EQ(ipam_.release("victim").status, 200);
  EXPECT_EQ(ipam_.post("/container/thief/endpoint", R"({"host_id":"host2","mac_address":"02:42:ac:14:00:06"})").status,
            200);

  for (const char* group : {"01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "33:33:00:00:00:01", "00:00:00:00:00:00"}) {
    auto refused = ipam_.post("/container/thief/endpoint",
                              std::string(R"({"host_id":"host2","mac_address":")") + group + R"("})");
    EXPECT_EQ(refused.status, 400) << group;
    EXPECT_EQ(text(refused.body.at("error")), "invalid_mac") << group;
  }
  EXPECT_EQ(text(ipam_.get("/container/thief").body.at("mac_address")), "02:42:ac:14:00:06");
}

// Found by a hostile probe: a release that named no host freed a running container's address, and
// its agent reserved it again 4 s later: a window in which it could go to another name. A release
// without a host is refused while the name's host is alive; naming the host, or a host that is gone,
// still releases.
TEST_F(IpamHosts, AReleaseThatNamesNoHostLeavesALiveHostsNamesAlone) {
  ASSERT_EQ(ipam_.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  ASSERT_EQ(ipam_.allocate("web", "host1").status, 200);
  ASSERT_EQ(ipam_.allocate("db", "host1").status, 200);
  auto refused = ipam_.release("web");
  EXPECT_EQ(refused.status, 409) << refused.raw;
  EXPECT_EQ(text(refused.body.at("error")), "host_alive");
  EXPECT_TRUE(ipam_.get("/check/web").body.at("exists").as_bool());
  EXPECT_EQ(ipam_.post("/release", R"({"container_name":"web","host_id":"host1"})").status, 200);

  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // host1 is quiet past its TTL and swept
  EXPECT_EQ(ipam_.release("db").status, 200);
}

// Found by a hostile probe: POST /hosts accepted 0.0.0.0, 255.255.255.255, 127.0.0.1 and 224.0.0.1,
// and every peer then sent that host's traffic nowhere.
TEST_F(IpamHosts, AnUnderlayAddressIsOneOtherHostsCanReach) {
  for (const char* unusable : {"0.0.0.0", "0.1.2.3", "255.255.255.255", "127.0.0.1", "127.8.0.1", "224.0.0.1",
                               "239.1.1.1", "240.0.0.1"}) {
    auto refused = ipam_.post("/hosts", host_body("host1", unusable));
    EXPECT_EQ(refused.status, 400) << unusable << ": " << refused.raw;
    EXPECT_EQ(text(refused.body.at("error")), "invalid_underlay_ip") << unusable;
  }
  EXPECT_EQ(ipam_.get("/hosts").body.as_array().size(), 0u);
  EXPECT_EQ(ipam_.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
}

// Found by fuzz/http_request: this agent_url failed an assertion in Boost.URL 1.81 and aborted an
// IPAM built with assertions on (the sanitizer build).
TEST_F(IpamHosts, AnAgentUrlBoostCannotParseIsBadInput) {
  auto refused = ipam_.post("/hosts", R"({"host_id":"host2","underlay_ip":"10.0.0.2","agent_url":"A:\\"})");
  EXPECT_EQ(refused.status, 400) << refused.raw;
  EXPECT_EQ(ipam_.get("/health").status, 200) << "the IPAM must still be up";
}

}  // namespace
}  // namespace vx::test
