// A host belongs to the agent instance that registered it, against a real vxlan-ipam on a real
// Redis. Found by a hostile probe: a second agent started with a live host's --host-id took the
// host over (its underlay address, its agent URL, its gateway) and released the host's live
// addresses as ones it did not run; one went to another name while its container ran.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <thread>

#include "common/run_blocking.h"
#include "ipam/client/http_ipam_client.h"
#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

constexpr auto kTtl = std::chrono::milliseconds(1500);

class HostInstanceTest : public ::testing::Test {
 protected:
  template <typename T>
  T run(boost::asio::awaitable<T> call) {
    return run_blocking(io_, std::move(call));
  }
  ipam::HttpIpamClient agent(const std::string& instance) {
    return ipam::HttpIpamClient(io_.get_executor(), {{HttpEndpoint{"127.0.0.1", ipam_.port()}},
                                                     std::chrono::seconds(5), "", instance});
  }

  RedisServer redis_;
  IpamDaemon ipam_{redis_.url(), {"--host-ttl-ms", std::to_string(kTtl.count())}};
  boost::asio::io_context io_;
  ipam::HttpIpamClient first_ = agent("first-instance");
  ipam::HttpIpamClient second_ = agent("second-instance");
  proto::HostRegistration host1_{"host1", "10.0.0.1", "http://10.0.0.1:8001"};
};

TEST_F(HostInstanceTest, ASecondAgentCannotTakeALiveHostOver) {
  ASSERT_TRUE(run(first_.register_host(host1_)));
  auto web = run(first_.allocate({"web", "host1", std::nullopt}));
  ASSERT_TRUE(web) << web.error().detail;
  ASSERT_TRUE(run(first_.record_endpoint("web", {"host1", "02:42:ac:14:00:02"})));

  auto taken = run(second_.register_host({"host1", "10.0.0.9", "http://10.0.0.9:8001"}));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(taken.error().code, "instance_taken");
  EXPECT_NE(taken.error().detail.find("--host-id"), std::string::npos) << taken.error().detail;

  // Nothing the second one asks for the host is done.
  for (Status refused : {run(second_.release("web", "host1")), run(second_.heartbeat("host1")),
                         run(second_.record_endpoint("web", {"host1", "02:42:ac:14:00:09"}))}) {
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, "instance_mismatch") << refused.error().detail;
  }
  auto gateway = run(second_.allocate({"vxlan-gateway.host1", "host1", std::nullopt}));
  ASSERT_FALSE(gateway);
  EXPECT_EQ(gateway.error().code, "instance_mismatch");

  auto still = run(first_.container("web"));
  ASSERT_TRUE(still) << still.error().detail;
  EXPECT_EQ(still->ip_address, web->endpoint.ip_address);
  EXPECT_EQ(still->mac_address, "02:42:ac:14:00:02");
  auto hosts = ipam_.get("/hosts");
  ASSERT_EQ(hosts.status, 200);
  EXPECT_EQ(text(hosts.body.as_array().at(0).at("underlay_ip")), "10.0.0.1");
  EXPECT_TRUE(run(first_.heartbeat("host1")));

  // The seed's clients present no instance: they may not register a bound live host either.
  auto seed = ipam_.post("/hosts", R"({"host_id":"host1","underlay_ip":"10.0.0.8","agent_url":"http://10.0.0.8:8001"})");
  EXPECT_EQ(seed.status, 409) << seed.raw;
}

TEST_F(HostInstanceTest, AnotherInstanceMayRegisterAHostOnlyOnceItFellSilent) {
  ASSERT_TRUE(run(first_.register_host(host1_)));
  std::this_thread::sleep_for(kTtl + std::chrono::milliseconds(300));
  ASSERT_TRUE(run(second_.register_host(host1_)));  // a host reinstalled with a new state directory
  auto stale = run(first_.heartbeat("host1"));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, "instance_mismatch");
  EXPECT_TRUE(run(second_.heartbeat("host1")));
}

TEST_F(HostInstanceTest, TheSameInstanceRegistersAgainAtOnce) {
  ASSERT_TRUE(run(first_.register_host(host1_)));
  ASSERT_TRUE(run(first_.register_host(host1_)));  // an agent restarted with its state directory
  EXPECT_TRUE(run(first_.heartbeat("host1")));
}

TEST_F(HostInstanceTest, AMalformedInstanceIsBadInput) {
  auto bad = agent("no spaces allowed");
  auto refused = run(bad.register_host(host1_));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(refused.error().code, "invalid_instance");
  EXPECT_EQ(ipam_.get("/hosts").body.as_array().size(), 0u);
}

// The agents and vxctl take the IPAM's replicas: a call goes on to the next when one is down.
TEST_F(HostInstanceTest, ACallGoesOnToAReplicaThatAnswers) {
  for (auto replicas : {std::vector<HttpEndpoint>{{"127.0.0.1", 1}, {"127.0.0.1", ipam_.port()}},
                        std::vector<HttpEndpoint>{{"127.0.0.1", ipam_.port()}, {"127.0.0.1", 1}}}) {
    ipam::HttpIpamClient client(io_.get_executor(), {replicas, std::chrono::seconds(2), "", ""});
    auto stats = run(client.stats());
    ASSERT_TRUE(stats) << stats.error().detail;
    EXPECT_EQ(stats->subnet, "172.20.0.0/16");
  }
  ipam::HttpIpamClient none(io_.get_executor(), {{{"127.0.0.1", 1}, {"127.0.0.1", 2}}, std::chrono::seconds(1), "", ""});
  auto down = run(none.stats());
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, "unreachable");
  EXPECT_NE(down.error().detail.find("the IPAMs at http://127.0.0.1:1, http://127.0.0.1:2"), std::string::npos)
      << down.error().detail;
}

}  // namespace
}  // namespace vx::test
