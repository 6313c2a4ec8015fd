// The change feed when Redis comes back with less than it had: rolled back to an older backup,
// the IPAM's view and every watcher follow Redis back; having lost its last writes, the feed
// never gives a lost change's revision to another change, nor tells a watcher that holds lost
// changes that it is up to date.
#include <gtest/gtest.h>

#include <iostream>
#include <map>

#include "feed_client.h"
#include "feed_redis.h"
#include "feed_watchers.h"
#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

// Redis comes back with less than it had (a restore from an older backup, a failover to a replica
// that lagged): the changes the watchers saw after that point are gone from Redis. The IPAM's view
// and every watcher must follow Redis back, not keep what it lost.
TEST(IpamFeed, ARedisRolledBackToAnOlderStateIsFollowedBack) {
  RedisServer redis;
  IpamDaemon first(redis.url(), kNoExpiry), second(redis.url(), kNoExpiry);
  ASSERT_EQ(first.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  auto kept = first.allocate("kept", "host1");
  ASSERT_EQ(kept.status, 200);
  Answer start = snapshot(first.port());
  ASSERT_TRUE(ok(start));
  Follower on_first(first.port(), start.view, start.revision), on_second(second.port(), start.view, start.revision);

  auto dir = data_dir(redis);
  ASSERT_TRUE(dir);
  TempDir backup;
  redis.stop();
  back_up_aof(*dir, backup.path());
  redis.start();
  ASSERT_TRUE(healthy({&first, &second}, 10s));
  // Changes the watchers see, and Redis will lose.
  ASSERT_EQ(first.post("/hosts", host_body("lost-host", "10.0.1.99")).status, 200);
  ASSERT_EQ(second.allocate("lost", "host1").status, 200);
  ASSERT_EQ(first.release("kept", "host1").status, 200);
  EXPECT_TRUE(on_first.converges(10s)) << joined(on_first.log());
  EXPECT_TRUE(on_second.converges(10s)) << joined(on_second.log());
  EXPECT_EQ(on_first.state().first.endpoints.count("lost"), 1u);

  redis.stop();
  restore_aof(*dir, backup.path());
  redis.start();
  auto client = redis.client();
  ASSERT_EQ(client.get({"HGET", "container_ips", "kept"}), ip_of(kept));  // the old state is back
  ASSERT_FALSE(client.get({"HGET", "container_ips", "lost"}));
  ASSERT_TRUE(healthy({&first, &second}, 10s));
  auto after = second.allocate("after", "host1");
  ASSERT_EQ(after.status, 200) << after.raw;

  View truth = view_in_redis(client);
  EXPECT_EQ(truth.endpoints.count("lost"), 0u);
  EXPECT_EQ(truth.endpoints.count("kept"), 1u);
  EXPECT_EQ(truth.endpoints.count("after"), 1u);
  for (const IpamDaemon* ipam : {&first, &second}) {
    EXPECT_TRUE(wait_until([&] {
      Answer now = snapshot(ipam->port());
      return now.status == 200 && now.view == truth;
    }, 10s)) << "replica on port " << ipam->port() << " shows:\n" << snapshot(ipam->port()).view << "Redis holds:\n" << truth;
  }
  EXPECT_TRUE(on_first.converges(10s)) << joined(on_first.log()) << on_first.state().first;
  EXPECT_TRUE(on_second.converges(10s)) << joined(on_second.log()) << on_second.state().first;
  EXPECT_EQ(on_first.state().first, truth);
  EXPECT_EQ(on_second.state().first, truth);
  EXPECT_GE(on_first.resets(), 1);
  EXPECT_GE(on_second.resets(), 1);
}

// Redis comes back having lost its last writes (killed before they reached the disk, restored
// from a backup, failed over to a replica that lagged), and the agents write again at once. The
// revisions of the lost changes were handed out already: the feed must never give one of those
// numbers to another change, or a watcher that holds the lost change is told it is up to date
// (and one a little behind is given the new changes on top of a lost one).
TEST(IpamFeed, ARedisThatLostWritesNeverReusesTheirRevisions) {
  RedisServer redis("always");
  IpamDaemon ipam(redis.url(), kNoExpiry);
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  ASSERT_EQ(ipam.allocate("kept", "host1").status, 200);
  Answer base = snapshot(ipam.port());
  ASSERT_TRUE(ok(base));

  // The backup: Redis's files as they are now (appendfsync always: everything is on disk).
  auto dir = data_dir(redis);
  ASSERT_TRUE(dir);
  TempDir backup;
  back_up_aof(*dir, backup.path());
  // Changes every watcher sees, that Redis then loses.
  for (const char* name : {"lost1", "lost2", "lost3"}) ASSERT_EQ(ipam.allocate(name, "host1").status, 200);
  Answer before = snapshot(ipam.port());
  ASSERT_EQ(before.status, 200) << describe(before);
  Collected lost = collect(ipam.port(), base.revision, before.revision);
  ASSERT_EQ(lost.problem, "");
  ASSERT_EQ(lost.changes.size(), 3u);
  std::map<int64_t, std::string> given;  // every revision handed out, and the change it named
  for (const auto& change : lost.changes) given[*integer_of(change, "revision")] = canonical(change);

  redis.kill9();
  restore_aof(*dir, backup.path());
  redis.start();
  auto client = redis.client();
  ASSERT_FALSE(client.get({"HGET", "container_ips", "lost1"}));  // Redis has lost them
  ASSERT_TRUE(wait_until([&] { return ipam.allocate("new1", "host1").status == 200; }, 10s));
  ASSERT_EQ(ipam.allocate("new2", "host1").status, 200);
  ASSERT_EQ(ipam.allocate("new3", "host1").status, 200);
  // A read after these writes sees them, and not what Redis lost.
  Answer right_after = snapshot(ipam.port());
  ASSERT_EQ(right_after.status, 200) << describe(right_after);
  EXPECT_EQ(right_after.view.endpoints.count("new3"), 1u) << "GET /peers right after allocating new3:\n" << right_after.view;
  EXPECT_EQ(right_after.view.endpoints.count("lost1"), 0u) << "GET /peers right after allocating new3:\n" << right_after.view;

  // Watchers at every revision of the lost changes ask now.
  std::vector<std::string> reused, told_up_to_date;
  for (int64_t since : {base.revision, *integer_of(lost.changes[0], "revision"), before.revision}) {
    Answer answer = poll(ipam.port(), since, 0);
    ASSERT_TRUE(ok(answer));
    if (answer.reset) continue;
    if (answer.changes.empty() && since == before.revision) {
      told_up_to_date.push_back("since=" + std::to_string(since) + " (holding lost1..3): " + describe(answer));
    }
    for (const auto& change : answer.changes) {
      auto revision = *integer_of(change, "revision");
      if (given.count(revision) && given[revision] != canonical(change)) {
        reused.push_back("revision " + std::to_string(revision) + " was " + given[revision] + ", now " + canonical(change));
      }
    }
  }
  EXPECT_EQ(reused, std::vector<std::string>()) << "revisions of lost changes given to other changes";
  EXPECT_EQ(told_up_to_date, std::vector<std::string>()) << "a watcher holding lost changes was told it is up to date";

  // And in the end everyone follows Redis.
  View truth = view_in_redis(client);
  EXPECT_EQ(truth.endpoints.count("new3"), 1u);
  EXPECT_EQ(truth.endpoints.count("lost1"), 0u);
  Convergence watcher = converge(ipam.port(), before.view, before.revision);
  EXPECT_TRUE(watcher.converged) << joined(watcher.log) << watcher.view;
  EXPECT_EQ(watcher.view, truth);
  if (HasFailure()) std::cout << "vxlan-ipam:\n" << feed_log(ipam);
}

}  // namespace
}  // namespace vx::test
