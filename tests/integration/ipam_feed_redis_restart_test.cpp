// The change feed when Redis goes away and comes back: a hung Redis does not hang a long-poll; a
// Redis restarted (SIGTERM or SIGKILL) or wiped (FLUSHALL) answers old revisions with a reset
// that converges, also when the new revisions have passed the old one; two replicas count
// revisions alike again after a restart.
#include <gtest/gtest.h>

#include <future>
#include <iostream>
#include <thread>

#include "feed_client.h"
#include "feed_redis.h"
#include "feed_watchers.h"
#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

// These tests follow the feed through a wipe, allocating right after it: the quarantine that holds
// such allocations back (ipam_faults_test) is off.
const std::vector<std::string> kWipedWithoutQuarantine{"--host-ttl-ms", "600000", "--quarantine-ms", "0"};

// After a wipe, the hosts an agent registers again: host1 alone.
View host1_alone() {
  View out;
  out.hosts = {{"host1", canonical(host_object("host1", "10.0.1.11"))}};
  return out;
}

// The IPAM's snapshot is `wanted`.
void expect_snapshot(const IpamDaemon& ipam, const View& wanted, const std::string& note = "") {
  Answer truth = snapshot(ipam.port());
  ASSERT_TRUE(ok(truth));
  EXPECT_EQ(truth.view, wanted) << note;
}

// A hung Redis does not hang a long-poll past its wait and Redis's deadline.
TEST(IpamFeed, AHungRedisDoesNotHangALongPoll) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), {"--host-ttl-ms", "600000", "--redis-timeout-ms", "500"});
  Answer start;
  ASSERT_TRUE(populate(ipam, kHost1, {}, "host1", start));
  auto pending = std::async(std::launch::async, [&] { return poll(ipam.port(), start.revision, 1000); });
  std::this_thread::sleep_for(200ms);
  redis.pause();
  Answer during = poll(ipam.port(), start.revision, 1000);
  Answer waited = pending.get();
  redis.resume();
  for (const Answer* answer : {&waited, &during}) {
    EXPECT_TRUE(answer->status == 200 || answer->status == 503) << describe(*answer);
    EXPECT_LT(answer->took, 1000ms + 500ms + 1500ms) << describe(*answer);
    if (answer->status == 200) {
      EXPECT_TRUE(answer->changes.empty()) << describe(*answer);
      EXPECT_FALSE(answer->reset) << describe(*answer);
    }
  }
  ASSERT_TRUE(healthy({&ipam}, 5s));
  auto web = ipam.allocate("web", "host1");
  ASSERT_EQ(web.status, 200);
  Collected feed = collect(ipam.port(), start.revision, snapshot(ipam.port()).revision);
  ASSERT_EQ(feed.problem, "");
  EXPECT_EQ(without_revisions(feed.changes), std::vector<std::string>{canonical(put_endpoint("web", ip_of(web), "host1"))});
}

void restart_resets(const std::string& appendfsync, bool kill9) {
  RedisServer redis(appendfsync);
  IpamDaemon ipam(redis.url(), kNoExpiry);
  Answer old;
  ASSERT_TRUE(populate(ipam, kTwoHosts, {"ca"}, "host1", old));
  // One watcher follows all along, long-polling through the restart; another comes back later
  // with the revision it had before.
  Follower live(ipam.port(), old.view, old.revision);
  std::this_thread::sleep_for(300ms);  // it waits in a long-poll now

  kill9 ? redis.kill9() : redis.stop();
  redis.start();
  ASSERT_TRUE(healthy({&ipam}, 10s));
  ASSERT_EQ(ipam.release("ca", "host1").status, 200);
  auto b = ipam.allocate("cb", "host2");
  ASSERT_EQ(b.status, 200) << b.raw;

  View wanted = host1_alone();
  wanted.hosts["host2"] = canonical(host_object("host2", "10.0.1.12"));
  wanted.endpoints = {{"cb", endpoint_entry("cb", ip_of(b), "host2")}};
  ASSERT_NO_FATAL_FAILURE(expect_snapshot(ipam, wanted));  // AOF kept what was there

  expect_reset_to(converge(ipam.port(), old.view, old.revision), wanted,
                  "a since from before the restart got no reset:\n");
  expect_followed_to(live, wanted);
}

TEST(IpamFeed, ARestartedRedisAnswersAResetThatConverges) { restart_resets("everysec", false); }

TEST(IpamFeed, AKilledRedisAnswersAResetThatConverges) { restart_resets("always", true); }

TEST(IpamFeed, AWipedRedisAnswersAResetThatConvergesToWhatIsRegisteredAgain) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kWipedWithoutQuarantine);
  Answer old;
  ASSERT_TRUE(populate(ipam, kTwoHosts, {"ca", "cb", "cc"}, "host2", old));
  ASSERT_EQ(old.view.endpoints.size(), 3u) << old.view;

  Follower live(ipam.port(), old.view, old.revision);
  std::this_thread::sleep_for(300ms);  // it waits in a long-poll now
  auto client = redis.client();
  ASSERT_EQ(client.get({"FLUSHALL"}), "OK");
  // What the agents register again afterwards: one host and one container.
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  auto x = ipam.allocate("cx", "host1");
  ASSERT_EQ(x.status, 200) << x.raw;

  View wanted = host1_alone();
  wanted.endpoints = {{"cx", endpoint_entry("cx", ip_of(x), "host1")}};
  ASSERT_NO_FATAL_FAILURE(expect_snapshot(ipam, wanted, "the IPAM's own view kept what the wiped Redis lost"));

  expect_reset_to(converge(ipam.port(), old.view, old.revision), wanted);
  expect_followed_to(live, wanted);
}

// The hard case of a wipe: the new lifetime's revision has grown past the watcher's old one, so
// the old `since` looks like a revision of this lifetime. Answering it with the new lifetime's
// changes after it would leave the watcher with the wiped hosts and endpoints for good.
TEST(IpamFeed, AWipedRedisStillResetsWhenItsRevisionHasPassedTheOldOne) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kWipedWithoutQuarantine);
  Answer old;
  ASSERT_TRUE(populate(ipam, kTwoHosts, {"ca", "cb", "cc"}, "host2", old));

  auto client = redis.client();
  ASSERT_EQ(client.get({"FLUSHALL"}), "OK");
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  View wanted = host1_alone();
  int64_t revision = -1;
  for (int i = 0; i < 200 && revision <= old.revision + 3; ++i) {
    std::string name = "x" + std::to_string(i);
    auto x = ipam.allocate(name, "host1");
    ASSERT_EQ(x.status, 200) << x.raw;
    wanted.endpoints[name] = endpoint_entry(name, ip_of(x), "host1");
    Answer now = snapshot(ipam.port());
    ASSERT_TRUE(ok(now));
    revision = now.revision;
  }
  ASSERT_GT(revision, old.revision + 3);
  ASSERT_NO_FATAL_FAILURE(expect_snapshot(ipam, wanted));

  expect_reset_to(converge(ipam.port(), old.view, old.revision, 5s), wanted);
}

// After a Redis restart, two replicas count revisions alike again: watchers on each get the same
// changes with the same revisions.
TEST(IpamFeed, TwoReplicasAgreeAfterARedisRestart) {
  RedisServer redis;
  IpamDaemon first(redis.url(), kNoExpiry), second(redis.url(), kNoExpiry);
  ASSERT_EQ(first.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  Answer old = snapshot(first.port());
  ASSERT_TRUE(ok(old));
  Follower on_first(first.port(), old.view, old.revision), on_second(second.port(), old.view, old.revision);
  redis.stop();
  redis.start();
  ASSERT_TRUE(healthy({&first, &second}, 10s));
  Answer a = snapshot(first.port()), b = snapshot(second.port());
  ASSERT_EQ(a.status, 200) << describe(a);
  ASSERT_EQ(b.status, 200) << describe(b);
  Watcher w_first({first.port()}, a.revision), w_second({second.port()}, a.revision);
  // (An IPAM may hold writes back, or refuse them, until it has taken stock of the new Redis.)
  ASSERT_TRUE(wait_until([&] { return second.allocate("r0", "host1").status == 200; }, 5s));
  for (int i = 1; i < 10; ++i) {
    ASSERT_EQ((i % 2 ? first : second).allocate("r" + std::to_string(i), "host1").status, 200);
  }
  Answer end = snapshot(second.port());
  ASSERT_EQ(end.status, 200) << describe(end);
  Answer end_first = snapshot(first.port());
  EXPECT_EQ(end_first.revision, end.revision);
  EXPECT_EQ(end_first.view, end.view);
  ASSERT_NO_FATAL_FAILURE(expect_same_feed(w_first, w_second, end.revision));
  EXPECT_EQ(w_first.changes().size(), 10u);
  EXPECT_TRUE(on_first.converges(10s)) << joined(on_first.log());
  EXPECT_TRUE(on_second.converges(10s)) << joined(on_second.log());
  EXPECT_EQ(on_first.state(), on_second.state());
  if (HasFailure()) {
    std::cout << "first replica (port " << first.port() << "):\n" << feed_log(first) << "second replica (port "
              << second.port() << "):\n" << feed_log(second);
  }
}

}  // namespace
}  // namespace vx::test
