// The change feed of vxlan-ipam (GET /peers?since=R&wait_ms=T) on one replica: changes come in
// order, complete, and replay onto a snapshot to the next; a long-poll waits for a change and
// wakes soon after it (every one of many waiting); bad input is refused at once; a since from
// the future answers a reset; many changes come in pages; /containers?host_id= lists by host.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "feed_client.h"
#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

TEST(IpamFeed, ChangesComeInOrderAndReplayToTheSnapshot) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  // Something before the snapshot, so that replaying works on a view that is not empty.
  ASSERT_EQ(ipam.post("/hosts", host_body("host0", "10.0.1.10")).status, 200);
  auto early = ipam.allocate("early", "host0");
  ASSERT_EQ(early.status, 200);

  Answer start = snapshot(ipam.port());
  ASSERT_TRUE(ok(start));
  EXPECT_EQ(start.view.hosts.count("host0"), 1u) << start.view;
  EXPECT_EQ(start.view.endpoints.count("early"), 1u) << start.view;  // read after write, and no MAC needed
  const int64_t from = start.revision;

  std::vector<json::object> expected;
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  expected.push_back(put_host("host1", "10.0.1.11"));
  ASSERT_EQ(ipam.post("/hosts", host_body("host2", "10.0.1.12")).status, 200);
  expected.push_back(put_host("host2", "10.0.1.12"));
  ASSERT_EQ(ipam.post("/hosts", host_body("host2", "10.0.1.22")).status, 200);  // moved: a put with the new address
  expected.push_back(put_host("host2", "10.0.1.22"));
  auto gateway = ipam.allocate("vxlan-gateway.host1", "host1");
  ASSERT_EQ(gateway.status, 200);
  expected.push_back(put_endpoint("vxlan-gateway.host1", ip_of(gateway), "host1"));
  auto web = ipam.allocate("web", "host1");
  ASSERT_EQ(web.status, 200);
  expected.push_back(put_endpoint("web", ip_of(web), "host1"));
  // Neither a heartbeat of a live host, nor an idempotent allocate, nor a refused one is a change.
  ASSERT_EQ(ipam.post("/hosts/host1/heartbeat", "").status, 200);
  ASSERT_EQ(ipam.allocate("web", "host1").status, 200);
  ASSERT_EQ(ipam.allocate("web", "host2").status, 409);
  auto db = ipam.allocate("db", "host2");
  ASSERT_EQ(db.status, 200);
  expected.push_back(put_endpoint("db", ip_of(db), "host2"));
  auto mac = ipam.post("/container/web/endpoint", R"({"host_id":"host1","mac_address":"02:42:AC:14:00:05"})");
  ASSERT_EQ(mac.status, 200) << mac.raw;
  expected.push_back(put_endpoint("web", ip_of(web), "host1", "02:42:ac:14:00:05"));
  ASSERT_EQ(ipam.post("/container/db/endpoint", R"({"host_id":"host2","mac_address":"02:42:ac:14:00:06"})").status, 200);
  expected.push_back(put_endpoint("db", ip_of(db), "host2", "02:42:ac:14:00:06"));
  ASSERT_EQ(ipam.release("web", "host1").status, 200);
  expected.push_back(delete_endpoint("web", ip_of(web), "host1"));
  ASSERT_EQ(ipam.release("early", "host0").status, 200);
  expected.push_back(delete_endpoint("early", ip_of(early), "host0"));
  ASSERT_EQ(http_json(ipam.port(), "DELETE", "/hosts/host2").status, 200);
  expected.push_back(delete_host("host2"));
  ASSERT_EQ(http_json(ipam.port(), "DELETE", "/hosts/host0").status, 200);
  expected.push_back(delete_host("host0"));

  Answer end = snapshot(ipam.port());
  ASSERT_TRUE(ok(end));
  // The snapshot read after the writes shows them all.
  EXPECT_EQ(end.view.hosts, (std::map<std::string, std::string>{{"host1", canonical(host_object("host1", "10.0.1.11"))}}));
  EXPECT_EQ(end.view.endpoints.size(), 2u) << end.view;  // db and the gateway

  Collected feed = collect(ipam.port(), from, end.revision);
  ASSERT_EQ(feed.problem, "");
  EXPECT_EQ(feed.revision, end.revision);
  EXPECT_EQ(without_revisions(feed.changes), with_revisions(expected));
  int64_t last = from;
  for (const auto& change : feed.changes) {
    EXPECT_GT(*integer_of(change, "revision"), last) << canonical(change);
    last = *integer_of(change, "revision");
  }
  EXPECT_EQ(last, end.revision);
  EXPECT_EQ(replayed(start.view, feed.changes), end.view);

  // Asked again from the same revision, the feed gives the same changes (it is a log, not a queue).
  Collected again = collect(ipam.port(), from, end.revision);
  ASSERT_EQ(again.problem, "");
  EXPECT_EQ(with_revisions(again.changes), with_revisions(feed.changes));
  // And from the middle, the tail of it.
  ASSERT_GE(feed.changes.size(), 4u);
  int64_t middle = *integer_of(feed.changes[3], "revision");
  Collected tail = collect(ipam.port(), middle, end.revision);
  ASSERT_EQ(tail.problem, "");
  std::vector<std::string> all = with_revisions(feed.changes);
  EXPECT_EQ(with_revisions(tail.changes), std::vector<std::string>(all.begin() + 4, all.end()));
}

TEST(IpamFeed, ALongPollReturnsSoonAfterAChange) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  Answer start;
  ASSERT_TRUE(populate(ipam, kHost1, {}, "host1", start));
  const int64_t from = start.revision;

  auto pending = std::async(std::launch::async, [&] { return poll(ipam.port(), from, 10000); });
  // It waits: nothing has changed yet.
  ASSERT_EQ(pending.wait_for(700ms), std::future_status::timeout)
      << "a long-poll with nothing new answered at once: " << describe(pending.get());
  auto changed_at = Clock::now();
  auto web = ipam.allocate("web", "host1");
  ASSERT_EQ(web.status, 200);
  ASSERT_EQ(pending.wait_for(9s), std::future_status::ready);
  auto woke_after = since_ms(changed_at);
  Answer answer = pending.get();
  ASSERT_TRUE(ok(answer));
  EXPECT_FALSE(answer.reset);
  EXPECT_LT(woke_after, 1500ms) << "the long-poll answered " << woke_after.count() << " ms after the change";
  ASSERT_EQ(answer.changes.size(), 1u) << describe(answer);
  EXPECT_EQ(canonical(answer.changes[0], false), canonical(put_endpoint("web", ip_of(web), "host1")));
  EXPECT_GT(answer.revision, from);

  // Nothing changes: wait_ms=300 answers after about 300 ms, with no change and the same revision.
  Answer quiet = poll(ipam.port(), answer.revision, 300);
  ASSERT_TRUE(ok(quiet));
  EXPECT_FALSE(quiet.reset) << describe(quiet);
  EXPECT_TRUE(quiet.changes.empty()) << describe(quiet);
  EXPECT_EQ(quiet.revision, answer.revision);
  EXPECT_GE(quiet.took, 280ms) << describe(quiet);
  EXPECT_LT(quiet.took, 1500ms) << describe(quiet);

  // wait_ms=0 (and no wait_ms) answers at once.
  Answer now = poll(ipam.port(), answer.revision, 0);
  ASSERT_TRUE(ok(now));
  EXPECT_TRUE(now.changes.empty()) << describe(now);
  EXPECT_EQ(now.revision, answer.revision);
  EXPECT_LT(now.took, 500ms);
  auto start_default = Clock::now();
  auto no_wait = http_json(ipam.port(), "GET", "/peers?since=" + std::to_string(answer.revision));
  EXPECT_EQ(no_wait.status, 200) << no_wait.raw;
  EXPECT_LT(since_ms(start_default), 500ms);
}

// Many watchers wait on one change: each is woken, each with the same change.
TEST(IpamFeed, ManyWaitersAreAllWokenByOneChange) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  Answer start = snapshot(ipam.port());
  ASSERT_TRUE(ok(start));
  std::vector<std::future<Answer>> waiters;
  for (int i = 0; i < 20; ++i) {
    waiters.push_back(std::async(std::launch::async, [&] { return poll(ipam.port(), start.revision, 10000); }));
  }
  std::this_thread::sleep_for(500ms);  // let them all reach the IPAM
  auto changed_at = Clock::now();
  ASSERT_EQ(ipam.post("/hosts", host_body("host1", "10.0.1.11")).status, 200);
  for (auto& waiter : waiters) {
    ASSERT_EQ(waiter.wait_for(9s), std::future_status::ready);
    Answer answer = waiter.get();
    ASSERT_TRUE(ok(answer));
    ASSERT_EQ(answer.changes.size(), 1u) << describe(answer);
    EXPECT_EQ(canonical(answer.changes[0], false), canonical(put_host("host1", "10.0.1.11")));
  }
  EXPECT_LT(since_ms(changed_at), 2s);
}

TEST(IpamFeed, BadSinceOrWaitIs400AndChangesNothing) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  Answer before;
  ASSERT_TRUE(populate(ipam, kHost1, {"web"}, "host1", before));
  const std::string r = std::to_string(before.revision);

  const std::vector<std::pair<std::string, std::string>> cases{
      {"/peers?since=-1", "invalid_revision"},
      {"/peers?since=abc", "invalid_revision"},
      {"/peers?since=1.5", "invalid_revision"},
      {"/peers?since=-1&wait_ms=10000", "invalid_revision"},  // and at once, not after the wait
      {"/peers?since=abc&wait_ms=10000", "invalid_revision"},
      {"/peers?since=" + r + "&wait_ms=60001", "invalid_wait"},
      {"/peers?since=" + r + "&wait_ms=x", "invalid_wait"},
      {"/peers?since=" + r + "&wait_ms=-1", "invalid_wait"},
      {"/peers?since=" + r + "&wait_ms=1.5", "invalid_wait"},
  };
  // An integer too large for a revision is refused or answered with a reset, never a failure.
  for (const std::string target : {"/peers?since=99999999999999999999999", "/peers?since=18446744073709551616"}) {
    auto response = http_long(ipam.port(), "GET", target, 10s);
    bool reset = response.body.is_object() && response.body.as_object().contains("reset");
    EXPECT_TRUE((response.status == 400 && response.raw.find("invalid_revision") != std::string::npos) ||
                (response.status == 200 && reset))
        << target << ": " << response.status << " " << response.raw;
  }
  for (const auto& [target, code] : cases) {
    auto start = Clock::now();
    auto response = http_long(ipam.port(), "GET", target, 15s);
    EXPECT_LT(since_ms(start), 2s) << target;
    EXPECT_EQ(response.status, 400) << target << ": " << response.raw;
    ASSERT_TRUE(response.body.is_object()) << target << ": " << response.raw;
    EXPECT_EQ(string_of(response.body.as_object(), "error"), code) << target << ": " << response.raw;
    EXPECT_FALSE(string_of(response.body.as_object(), "detail").empty()) << target << ": " << response.raw;
  }
  // The boundaries are fine: wait_ms=60000 answers at once when there is something to give.
  auto start = Clock::now();
  auto edge = http_long(ipam.port(), "GET", "/peers?since=0&wait_ms=60000", 10s);
  EXPECT_EQ(edge.status, 200) << edge.raw;
  EXPECT_LT(since_ms(start), 2s);

  Answer after = snapshot(ipam.port());
  ASSERT_TRUE(ok(after));
  EXPECT_EQ(after.revision, before.revision);
  EXPECT_EQ(after.view, before.view);
  Answer quiet = poll(ipam.port(), before.revision, 0);
  EXPECT_EQ(quiet.status, 200) << describe(quiet);
  EXPECT_TRUE(quiet.changes.empty()) << describe(quiet);
}

TEST(IpamFeed, ASinceNewerThanTheRevisionAnswersAReset) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  Answer now;
  ASSERT_TRUE(populate(ipam, kHost1, {"web"}, "host1", now));

  for (int wait_ms : {0, 5000}) {
    Answer answer = poll(ipam.port(), now.revision + 1000, wait_ms);
    ASSERT_EQ(answer.status, 200) << describe(answer);
    EXPECT_EQ(answer.problem, "") << describe(answer);
    EXPECT_TRUE(answer.reset) << describe(answer);
    EXPECT_FALSE(answer.body.contains("changes")) << describe(answer);
    EXPECT_EQ(answer.revision, now.revision) << describe(answer);
    EXPECT_EQ(answer.view, now.view) << describe(answer);
    EXPECT_LT(answer.took, 2s) << "a reset waited for wait_ms=" << wait_ms;
  }
  // since=R+1 is one too far as well.
  Answer next = poll(ipam.port(), now.revision + 1, 0);
  EXPECT_TRUE(next.reset) << describe(next);
}

TEST(IpamFeed, ManyChangesComeInPagesOfAtMostTenThousand) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  Answer start = snapshot(ipam.port());
  ASSERT_TRUE(ok(start));
  constexpr int kClients = 4, kEach = 2520;  // 10,080 changes
  std::atomic<int> failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        if (ipam.allocate("p" + std::to_string(c) + "-" + std::to_string(i), "host1").status != 200) ++failed;
      }
    });
  }
  for (auto& client : clients) client.join();
  ASSERT_EQ(failed, 0);
  Answer end = snapshot(ipam.port());
  ASSERT_TRUE(ok(end));
  ASSERT_EQ(end.view.endpoints.size(), static_cast<size_t>(kClients * kEach));

  Answer first_page = poll(ipam.port(), start.revision, 0);
  ASSERT_EQ(first_page.status, 200) << describe(first_page).substr(0, 500);
  ASSERT_EQ(first_page.problem, "");
  ASSERT_FALSE(first_page.reset);
  EXPECT_LE(first_page.changes.size(), 10000u);
  EXPECT_GT(first_page.changes.size(), 0u);
  EXPECT_LT(first_page.revision, end.revision);
  Collected feed = collect(ipam.port(), start.revision, end.revision, 30s);
  ASSERT_EQ(feed.problem, "");
  EXPECT_GE(feed.answers, 2);
  EXPECT_EQ(feed.changes.size(), static_cast<size_t>(kClients * kEach));
  EXPECT_EQ(replayed(start.view, feed.changes), end.view);
}

TEST(IpamFeed, ContainersCanBeListedByHost) {
  RedisServer redis;
  IpamDaemon ipam(redis.url(), kNoExpiry);
  for (auto [name, host] : std::vector<std::pair<std::string, std::string>>{{"ca", "h1"}, {"cb", "h1"}, {"cc", "h2"}}) {
    ASSERT_EQ(ipam.allocate(name, host).status, 200);
  }
  auto names = [&](const std::string& target) {
    std::set<std::string> out;
    auto response = ipam.get(target);
    EXPECT_EQ(response.status, 200) << target << ": " << response.raw;
    if (!response.body.is_array()) return out;
    for (const auto& entry : response.body.as_array()) out.insert(text(entry.at("container_name")));
    return out;
  };
  EXPECT_EQ(names("/containers?host_id=h1"), (std::set<std::string>{"ca", "cb"}));
  EXPECT_EQ(names("/containers?host_id=h2"), (std::set<std::string>{"cc"}));
  EXPECT_EQ(names("/containers?host_id=h3"), (std::set<std::string>{}));
  EXPECT_EQ(names("/containers"), (std::set<std::string>{"ca", "cb", "cc"}));
}

}  // namespace
}  // namespace vx::test
