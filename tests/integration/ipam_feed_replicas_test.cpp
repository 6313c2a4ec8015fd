// The change feed of two vxlan-ipam replicas on one Redis: both give the same changes with the
// same revisions (also under concurrent writers on both, with snapshots taken meanwhile that
// replay to the end), each sees the other's writes at once, and a watcher of a replica killed
// under it resumes on the other with nothing lost or doubled.
#include <gtest/gtest.h>

#include <cstdio>
#include <future>
#include <memory>
#include <set>
#include <thread>

#include "feed_client.h"
#include "feed_watchers.h"
#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

// Sets the MAC of `name` on `host` through `via`.
int set_mac(const IpamDaemon& via, const std::string& name, const std::string& host, const std::string& mac) {
  return via.post("/container/" + name + "/endpoint",
                  json::serialize(json::object{{"host_id", host}, {"mac_address", mac}})).status;
}

TEST(IpamFeed, TwoReplicasGiveTheSameChanges) {
  RedisServer redis;
  IpamDaemon first(redis.url(), kNoExpiry), second(redis.url(), kNoExpiry);
  const IpamDaemon* replicas[] = {&first, &second};
  Answer start = snapshot(first.port());
  ASSERT_TRUE(ok(start));
  Answer start_second = snapshot(second.port());
  ASSERT_TRUE(ok(start_second));
  EXPECT_EQ(start_second.revision, start.revision);

  Watcher on_first({first.port()}, start.revision), on_second({second.port()}, start.revision);
  std::vector<json::object> expected;
  for (int i = 0; i < 6; ++i) {
    const IpamDaemon& via = *replicas[i % 2];
    std::string host = "host" + std::to_string(i % 3);
    std::string underlay = "10.0.1." + std::to_string(11 + i % 3);
    if (i < 3) {
      ASSERT_EQ(via.post("/hosts", host_body(host, underlay)).status, 200);
      expected.push_back(put_host(host, underlay));
    }
    std::string name = "c" + std::to_string(i);
    auto allocated = via.allocate(name, host);
    ASSERT_EQ(allocated.status, 200);
    expected.push_back(put_endpoint(name, ip_of(allocated), host));
    std::string mac = "02:42:ac:14:00:0" + std::to_string(i);
    ASSERT_EQ(set_mac(*replicas[(i + 1) % 2], name, host, mac), 200);
    expected.push_back(put_endpoint(name, ip_of(allocated), host, mac));
    if (i % 2 == 1) {
      ASSERT_EQ(via.release(name, host).status, 200);
      expected.push_back(delete_endpoint(name, ip_of(allocated), host));
    }
  }
  ASSERT_EQ(http_json(second.port(), "DELETE", "/hosts/host2").status, 200);
  expected.push_back(delete_host("host2"));

  Answer end = snapshot(first.port());
  ASSERT_TRUE(ok(end));
  Answer end_second = snapshot(second.port());  // read after a write made through the other replica
  ASSERT_TRUE(ok(end_second));
  EXPECT_EQ(end_second.revision, end.revision);
  EXPECT_EQ(end_second.view, end.view);

  ASSERT_NO_FATAL_FAILURE(expect_same_feed(on_first, on_second, end.revision));
  EXPECT_EQ(without_revisions(on_first.changes()), with_revisions(expected));
  EXPECT_EQ(replayed(start.view, on_second.changes()), end.view);
}

// A write through one replica is seen by a read on the other at once, and wakes its long-polls.
TEST(IpamFeed, ReplicasSeeEachOthersWritesAtOnce) {
  RedisServer redis;
  IpamDaemon first(redis.url(), kNoExpiry), second(redis.url(), kNoExpiry);
  ASSERT_EQ(first.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  for (int i = 0; i < 30; ++i) {
    std::string name = "rw" + std::to_string(i);
    const IpamDaemon& writer = i % 2 ? second : first;
    const IpamDaemon& reader = i % 2 ? first : second;
    ASSERT_EQ(writer.allocate(name, "host1").status, 200);
    Answer read = snapshot(reader.port());
    ASSERT_EQ(read.status, 200) << describe(read);
    EXPECT_EQ(read.view.endpoints.count(name), 1u) << "a read on the other replica right after allocating " << name
                                                   << " does not show it";
  }
  Answer start = snapshot(second.port());
  ASSERT_EQ(start.status, 200) << describe(start);
  auto pending = std::async(std::launch::async, [&] { return poll(second.port(), start.revision, 10000); });
  ASSERT_EQ(pending.wait_for(500ms), std::future_status::timeout);
  auto changed_at = Clock::now();
  auto web = first.allocate("web", "host1");
  ASSERT_EQ(web.status, 200);
  ASSERT_EQ(pending.wait_for(9s), std::future_status::ready);
  EXPECT_LT(since_ms(changed_at), 1500ms);
  Answer answer = pending.get();
  ASSERT_TRUE(ok(answer));
  EXPECT_EQ(without_revisions(answer.changes),
            std::vector<std::string>{canonical(put_endpoint("web", ip_of(web), "host1"))});
}

// Writers on both replicas at once, snapshots taken meanwhile: every snapshot, replayed with the
// changes after its revision, ends at the final snapshot, and the watchers of both replicas get
// the same changes.
TEST(IpamFeed, SnapshotsTakenDuringConcurrentWritesReplayToTheEnd) {
  RedisServer redis;
  IpamDaemon first(redis.url(), kNoExpiry), second(redis.url(), kNoExpiry);
  const IpamDaemon* replicas[] = {&first, &second};
  for (int h = 0; h < 4; ++h) {
    ASSERT_EQ(first.post("/hosts", host_body("host" + std::to_string(h), "10.0.1." + std::to_string(11 + h))).status, 200);
  }
  Answer start = snapshot(first.port());
  ASSERT_TRUE(ok(start));
  Watcher on_first({first.port()}, start.revision), on_second({second.port()}, start.revision);

  std::atomic<int> running{4}, failed{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      std::string host = "host" + std::to_string(w);
      for (int i = 0; i < 60; ++i) {
        std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
        const IpamDaemon& via = *replicas[(w + i) % 2];
        if (via.allocate(name, host).status != 200) ++failed;
        char mac[32];
        std::snprintf(mac, sizeof(mac), "02:42:ac:%02x:%02x:%02x", w, i / 256, i % 256);
        if (set_mac(*replicas[(w + i + 1) % 2], name, host, mac) != 200) ++failed;
        if (i % 3 == 0 && via.release(name, host).status != 200) ++failed;
        if (i % 20 == 19) {  // a host leaves and comes back
          if (http_json(via.port(), "DELETE", "/hosts/" + host).status != 200) ++failed;
          if (via.post("/hosts", host_body(host, "10.0.1." + std::to_string(11 + w))).status != 200) ++failed;
        }
      }
      --running;
    });
  }
  std::vector<Answer> snapshots;
  for (int i = 0; running > 0 && i < 1000; ++i) {
    snapshots.push_back(snapshot(replicas[i % 2]->port()));
    std::this_thread::sleep_for(20ms);
  }
  for (auto& writer : writers) writer.join();
  ASSERT_EQ(failed, 0);
  Answer end = snapshot(second.port());
  ASSERT_TRUE(ok(end));
  EXPECT_EQ(end.view.endpoints.size(), 4u * 40);

  ASSERT_GE(snapshots.size(), 3u);
  for (size_t i = 0; i < snapshots.size(); ++i) {
    const Answer& taken = snapshots[i];
    ASSERT_TRUE(ok(taken));
    Collected feed = collect(replicas[(i + 1) % 2]->port(), taken.revision, end.revision);
    ASSERT_EQ(feed.problem, "");
    EXPECT_EQ(replayed(taken.view, feed.changes), end.view)
        << "snapshot " << i << " at revision " << taken.revision << " replayed does not end at the final snapshot";
  }
  ASSERT_NO_FATAL_FAILURE(expect_same_feed(on_first, on_second, end.revision));
  EXPECT_EQ(replayed(start.view, on_first.changes()), end.view);
}

TEST(IpamFeed, AWatcherOfAKilledReplicaResumesOnTheOtherWithNothingLostOrDoubled) {
  RedisServer redis;
  auto victim = std::make_unique<IpamDaemon>(redis.url(), kNoExpiry);
  IpamDaemon survivor(redis.url(), kNoExpiry);
  ASSERT_EQ(survivor.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  Answer start = snapshot(victim->port());
  ASSERT_TRUE(ok(start));

  Watcher watcher({victim->port(), survivor.port()}, start.revision);
  std::set<std::string> names;
  for (int i = 0; i < 5; ++i) {
    std::string name = "before" + std::to_string(i);
    ASSERT_EQ((i % 2 ? survivor : *victim).allocate(name, "host1").status, 200);
    names.insert(name);
  }
  Answer before_kill = snapshot(survivor.port());
  ASSERT_TRUE(ok(before_kill));
  // The watcher has caught up and waits in a long-poll on the victim.
  ASSERT_TRUE(wait_until([&] { return watcher.revision() >= before_kill.revision; }, 10s))
      << "the watcher is at " << watcher.revision() << ", the feed at " << before_kill.revision;
  ASSERT_TRUE(wait_until([&] { return watcher.polling(); }, 5s));
  std::this_thread::sleep_for(200ms);
  victim->process().kill9();

  // Changes made while the watcher finds out and moves over.
  for (int i = 0; i < 10; ++i) {
    std::string name = "after" + std::to_string(i);
    auto allocated = survivor.allocate(name, "host1");
    ASSERT_EQ(allocated.status, 200);
    names.insert(name);
  }
  ASSERT_EQ(survivor.release("before0", "host1").status, 200);
  ASSERT_EQ(set_mac(survivor, "after1", "host1", "02:42:ac:14:01:01"), 200);
  ASSERT_EQ(survivor.post("/hosts", host_body("host2", "10.0.1.12")).status, 200);
  Answer end = snapshot(survivor.port());
  ASSERT_TRUE(ok(end));
  watcher.finish_at(end.revision);
  ASSERT_TRUE(watcher.join(30s));
  victim.reset();

  EXPECT_EQ(watcher.problems(), std::vector<std::string>());
  EXPECT_GE(watcher.failovers(), 1);
  EXPECT_EQ(watcher.ports_used().count(survivor.port()), 1u);
  // Exactly the feed as the survivor gives it from the start: nothing lost, nothing twice.
  Collected reference = collect(survivor.port(), start.revision, end.revision);
  ASSERT_EQ(reference.problem, "");
  EXPECT_EQ(with_revisions(watcher.changes()), with_revisions(reference.changes));
  std::set<std::string> revisions;
  for (const auto& change : watcher.changes()) {
    EXPECT_TRUE(revisions.insert(canonical(change.at("revision"))).second) << "twice: " << canonical(change);
  }
  // 5 + 10 allocations, a release, a MAC and a host.
  EXPECT_EQ(watcher.changes().size(), 18u);
  EXPECT_EQ(replayed(start.view, watcher.changes()), end.view);
}

}  // namespace
}  // namespace vx::test
