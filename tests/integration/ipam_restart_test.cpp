// A replica that restarts loads the latest changes with its snapshot, so that the agents watching
// it go on from their revision instead of each taking the whole snapshot again: with a thousand
// agents, a rolling restart of the IPAM must not cost a thousand snapshots.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>

#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

namespace json = boost::json;

uint64_t revision_of(const JsonResponse& answer) { return answer.body.at("revision").to_number<uint64_t>(); }

TEST(IpamRestart, WatchersGoOnFromTheirRevisionAfterTheReplicaRestarts) {
  RedisServer redis;
  auto ipam = std::make_unique<IpamDaemon>(redis.url());
  ASSERT_EQ(ipam->allocate("before", "host1").status, 200);
  auto snapshot = ipam->get("/peers");
  ASSERT_EQ(snapshot.status, 200);
  uint64_t watched = revision_of(snapshot);
  ASSERT_EQ(ipam->allocate("while-watching", "host1").status, 200);

  ipam->process().kill9();
  ipam = std::make_unique<IpamDaemon>(redis.url());
  ASSERT_EQ(ipam->get("/health").status, 200);
  ASSERT_EQ(ipam->allocate("after", "host1").status, 200);

  auto update = ipam->get("/peers?since=" + std::to_string(watched));
  ASSERT_EQ(update.status, 200) << update.raw;
  EXPECT_FALSE(update.body.as_object().contains("reset")) << update.raw;
  const auto& changes = update.body.at("changes").as_array();
  ASSERT_EQ(changes.size(), 2u) << update.raw;
  EXPECT_EQ(text(changes[0].at("container_name")), "while-watching");
  EXPECT_EQ(text(changes[1].at("container_name")), "after");
  EXPECT_EQ(revision_of(update), watched + 2);
}

// A Redis that restarted is another lifetime: there the old revisions cannot go on.
TEST(IpamRestart, ARestartedRedisStillResets) {
  RedisServer redis;
  IpamDaemon ipam(redis.url());
  ASSERT_EQ(ipam.allocate("before", "host1").status, 200);
  uint64_t watched = revision_of(ipam.get("/peers"));
  redis.stop();
  redis.start();
  ASSERT_TRUE(wait_until([&] { return ipam.allocate("after", "host1").status == 200; }, std::chrono::seconds(10)));
  auto update = ipam.get("/peers?since=" + std::to_string(watched));
  ASSERT_EQ(update.status, 200) << update.raw;
  EXPECT_TRUE(update.body.as_object().contains("reset")) << update.raw;
}

}  // namespace
}  // namespace vx::test
