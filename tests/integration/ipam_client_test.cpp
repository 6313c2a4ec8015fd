// The one IPAM client the agent and vxctl share (ipam/client/), against a real vxlan-ipam on a real
// Redis: every call decodes the IPAM's real answers, and the IPAM's errors keep their kind and code.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "common/run_blocking.h"
#include "ipam/client/http_ipam_client.h"
#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

class IpamClientTest : public ::testing::Test {
 protected:
  template <typename T>
  T run(boost::asio::awaitable<T> call) {
    return run_blocking(io_, std::move(call));
  }

  RedisServer redis_;
  IpamDaemon ipam_{redis_.url()};
  boost::asio::io_context io_;
  ipam::HttpIpamClient client_{io_.get_executor(), {{HttpEndpoint{"127.0.0.1", ipam_.port()}}, std::chrono::seconds(5), "", ""}};
};

TEST_F(IpamClientTest, EveryCallReadsTheRealAnswers) {
  auto subnet = run(client_.register_host({"host1", "10.0.0.1", "http://10.0.0.1:8001"}));
  ASSERT_TRUE(subnet) << subnet.error().detail;
  EXPECT_EQ(*subnet, "172.20.0.0/16");
  EXPECT_TRUE(run(client_.heartbeat("host1")));

  auto web = run(client_.allocate({"web", "host1", std::nullopt}));
  ASSERT_TRUE(web) << web.error().detail;
  EXPECT_TRUE(web->created);
  EXPECT_EQ(web->endpoint.host_id, "host1");
  auto again = run(client_.allocate({"web", "host1", std::nullopt}));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->endpoint.ip_address, web->endpoint.ip_address);
  auto exact = run(client_.allocate({"db", "host1", *Ipv4::parse("172.20.0.50")}));
  ASSERT_TRUE(exact) << exact.error().detail;
  EXPECT_EQ(exact->endpoint.ip_address, "172.20.0.50");

  ASSERT_TRUE(run(client_.record_endpoint("web", {"host1", "02:42:ac:14:00:02"})));
  auto found = run(client_.container("web"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->mac_address, "02:42:ac:14:00:02");
  auto mine = run(client_.containers("host1"));
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->size(), 2u);
  auto everyone = run(client_.containers(""));
  ASSERT_TRUE(everyone);
  EXPECT_EQ(everyone->size(), 2u);

  auto hosts = run(client_.hosts());
  ASSERT_TRUE(hosts) << hosts.error().detail;
  ASSERT_EQ(hosts->size(), 1u);
  EXPECT_TRUE(hosts->front().host.alive);
  EXPECT_EQ(hosts->front().containers, 2u);
  auto stats = run(client_.stats());
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->allocated, 2u);
  EXPECT_EQ(stats->subnet, "172.20.0.0/16");
  auto taken = run(client_.check("web"));
  ASSERT_TRUE(taken);
  ASSERT_TRUE(taken->holder);
  EXPECT_EQ(taken->holder->ip_address, web->endpoint.ip_address);

  auto peers = run(client_.watch_peers(std::nullopt, std::chrono::milliseconds(0)));
  ASSERT_TRUE(peers);
  EXPECT_TRUE(peers->full);
  EXPECT_EQ(peers->snapshot.endpoints.size(), 2u);

  ASSERT_TRUE(run(client_.release("web", "host1")));
  auto freed = run(client_.check("web"));
  ASSERT_TRUE(freed);
  EXPECT_FALSE(freed->holder);
}

TEST_F(IpamClientTest, TheIpamsErrorsKeepTheirKindAndCode) {
  ASSERT_TRUE(run(client_.allocate({"web", "host1", std::nullopt})));
  auto elsewhere = run(client_.allocate({"web", "host2", std::nullopt}));
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(elsewhere.error().code, "name_conflict");
  auto missing = run(client_.container("nobody"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "unknown_container");
  auto outside = run(client_.allocate({"db", "host1", *Ipv4::parse("10.9.9.9")}));
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().kind, ErrorKind::kBadInput);

  ipam::HttpIpamClient nobody(io_.get_executor(), {{HttpEndpoint{"127.0.0.1", 1}}, std::chrono::milliseconds(500), "", ""});
  auto unreachable = run(nobody.stats());
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code, "unreachable");
  EXPECT_NE(unreachable.error().detail.find("the IPAM at http://127.0.0.1:1 does not answer"), std::string::npos);
}

}  // namespace
}  // namespace vx::test
