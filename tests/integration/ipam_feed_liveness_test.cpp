// Hosts' liveness in the change feed: a host that stops its heartbeats is marked dead once, as a
// change (a put with alive:false) within its TTL and a sweep, and a heartbeat brings it back as
// another; with two replicas sweeping, a silent host is still marked dead once.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <optional>
#include <set>
#include <thread>

#include "feed_client.h"
#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

const std::vector<std::string> kShortTtl{"--host-ttl-ms", "600"};

TEST(IpamFeed, AHostThatFallsSilentIsAChangeAndSoIsItsReturn) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kShortTtl);
  std::atomic<bool> beating{true};
  ASSERT_EQ(ipam.post("/hosts", host_body("steady", "10.0.1.10")).status, 200);
  std::thread heart([&] {
    while (beating) {
      http_json(ipam.port(), "POST", "/hosts/steady/heartbeat");
      std::this_thread::sleep_for(100ms);
    }
  });
  struct Join {
    std::atomic<bool>& flag;
    std::thread& thread;
    ~Join() {
      flag = false;
      thread.join();
    }
  } join{beating, heart};

  Answer start = snapshot(ipam.port());
  ASSERT_TRUE(ok(start));
  auto registered = Clock::now();
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  int64_t revision = start.revision;
  std::vector<json::object> changes;
  std::optional<milliseconds> dead_after;
  while (!dead_after && since_ms(registered) < 4s) {
    Answer answer = poll(ipam.port(), revision, 1000);
    ASSERT_TRUE(ok(answer));
    ASSERT_FALSE(answer.reset) << describe(answer);
    for (const auto& change : answer.changes) {
      changes.push_back(change);
      if (string_of(change, "host_id") == "host1" && change.contains("alive") && change.at("alive") == false) {
        dead_after = since_ms(registered);
      }
    }
    revision = answer.revision;
  }
  ASSERT_TRUE(dead_after) << "no alive:false change within 4 s of a 600 ms TTL; changes: "
                          << joined(with_revisions(changes));
  EXPECT_GE(*dead_after, 550ms);
  EXPECT_LE(*dead_after, 1600ms + 400ms);
  EXPECT_EQ(without_revisions(changes),
            (std::vector<std::string>{canonical(put_host("host1", "10.0.1.11")),
                                      canonical(put_host("host1", "10.0.1.11", false))}));
  Answer dead = snapshot(ipam.port());
  ASSERT_TRUE(ok(dead));
  EXPECT_EQ(dead.view.hosts["host1"], canonical(host_object("host1", "10.0.1.11", false)));
  EXPECT_EQ(dead.view.hosts["steady"], canonical(host_object("steady", "10.0.1.10", true)));

  // Nothing more: it is marked dead once, and the steady host never flaps.
  Answer quiet = poll(ipam.port(), revision, 1500);
  ASSERT_TRUE(ok(quiet));
  EXPECT_TRUE(quiet.changes.empty()) << describe(quiet);

  // A heartbeat brings it back, as a change.
  auto pending = std::async(std::launch::async, [&] { return poll(ipam.port(), revision, 5000); });
  std::this_thread::sleep_for(200ms);
  auto beat_at = Clock::now();
  ASSERT_EQ(ipam.post("/hosts/host1/heartbeat", "").status, 200);
  ASSERT_EQ(pending.wait_for(6s), std::future_status::ready);
  Answer back = pending.get();
  ASSERT_TRUE(ok(back));
  EXPECT_LT(since_ms(beat_at), 1500ms);
  EXPECT_EQ(without_revisions(back.changes),
            std::vector<std::string>{canonical(put_host("host1", "10.0.1.11", true))}) << describe(back);
  // A second heartbeat right after is no change.
  ASSERT_EQ(ipam.post("/hosts/host1/heartbeat", "").status, 200);
  Answer after = poll(ipam.port(), back.revision, 300);
  ASSERT_TRUE(ok(after));
  EXPECT_TRUE(after.changes.empty()) << describe(after);
}

// Every replica sweeps; a silent host is still marked dead once, not once per replica.
TEST(IpamFeed, TwoSweepersMarkASilentHostDeadOnce) {
  RedisServer redis;
  IpamDaemon first(redis.url(), kShortTtl), second(redis.url(), kShortTtl);
  Answer start = snapshot(first.port());
  ASSERT_TRUE(ok(start));
  ASSERT_EQ(first.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  ASSERT_EQ(second.post("/hosts", host_body("host2", "10.0.1.12")).status, 200);
  std::this_thread::sleep_for(3s);  // both dead for a while: every sweeper has seen them
  Answer end = snapshot(second.port());
  ASSERT_TRUE(ok(end));
  Collected feed = collect(first.port(), start.revision, end.revision);
  ASSERT_EQ(feed.problem, "");
  std::vector<std::string> got = without_revisions(feed.changes);
  std::multiset<std::string> set(got.begin(), got.end());
  EXPECT_EQ(set, (std::multiset<std::string>{canonical(put_host("host1", "10.0.1.11")),
                                             canonical(put_host("host2", "10.0.1.12")),
                                             canonical(put_host("host1", "10.0.1.11", false)),
                                             canonical(put_host("host2", "10.0.1.12", false))}))
      << joined(with_revisions(feed.changes));
}

}  // namespace
}  // namespace vx::test
