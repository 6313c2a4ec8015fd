// The IPAM's view of the cluster on its own: the changes it answers after a revision, when it
// answers the snapshot instead, and how waiting watchers are woken, across threads too.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "common/run_blocking.h"
#include "ipam/view/cluster_view.h"
#include "proto/peers.h"

namespace vx::ipam {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

proto::Change put_endpoint(uint64_t revision, const std::string& name, const std::string& host = "h1") {
  return {revision, proto::Op::kPut, proto::Kind::kEndpoint, {}, {name, "172.20.0.9", host, ""}};
}

proto::Change delete_endpoint(uint64_t revision, const std::string& name) {
  return {revision, proto::Op::kDelete, proto::Kind::kEndpoint, {}, {name, "172.20.0.9", "h1", ""}};
}

proto::Change put_host(uint64_t revision, const std::string& id, bool alive) {
  return {revision, proto::Op::kPut, proto::Kind::kHost, {id, "10.0.0.1", "http://10.0.0.1:8001", alive}, {}};
}

proto::Update decode(const std::optional<std::string>& body) {
  EXPECT_TRUE(body.has_value());
  auto update = proto::parse_update(json::parse(body.value_or("{}")));
  EXPECT_TRUE(update.ok()) << (update ? "" : update.error().detail);
  return update ? *update : proto::Update{};
}

TEST(ClusterView, AnswersTheChangesAfterARevisionInOrder) {
  ClusterView view;
  view.load({100, {}, {}});
  view.apply({put_host(101, "h1", true), put_endpoint(102, "a"), put_endpoint(103, "b"), delete_endpoint(104, "a")});
  auto update = decode(view.peers_after(101));
  EXPECT_FALSE(update.reset);
  EXPECT_EQ(update.revision, 104u);
  ASSERT_EQ(update.changes.size(), 3u);
  EXPECT_EQ(update.changes[0], put_endpoint(102, "a"));
  EXPECT_EQ(update.changes[1], put_endpoint(103, "b"));
  EXPECT_EQ(update.changes[2].op, proto::Op::kDelete);
  EXPECT_EQ(update.changes[2].endpoint.container_name, "a");
  EXPECT_FALSE(view.peers_after(104).has_value());  // nothing new

  auto snapshot = decode(view.peers_after(std::nullopt));
  EXPECT_FALSE(snapshot.reset);
  EXPECT_EQ(snapshot.revision, 104u);
  ASSERT_EQ(snapshot.snapshot.endpoints.size(), 1u);
  EXPECT_EQ(snapshot.snapshot.endpoints[0].container_name, "b");
  ASSERT_EQ(snapshot.snapshot.hosts.size(), 1u);
  EXPECT_TRUE(snapshot.snapshot.hosts[0].alive);
}

TEST(ClusterView, ResetsWatchersItCannotContinue) {
  ClusterView view(2);  // retains two changes
  view.load({10, {}, {}});
  view.apply({put_endpoint(11, "a"), put_endpoint(12, "b"), put_endpoint(13, "c")});
  EXPECT_TRUE(decode(view.peers_after(9)).reset);    // before the load
  EXPECT_TRUE(decode(view.peers_after(10)).reset);   // trimmed away
  EXPECT_FALSE(decode(view.peers_after(11)).reset);  // the oldest change retained follows it
  EXPECT_TRUE(decode(view.peers_after(14)).reset);   // from the future
  auto reset = decode(view.peers_after(10));
  EXPECT_EQ(reset.revision, 13u);
  EXPECT_EQ(reset.snapshot.endpoints.size(), 3u);

  // A new load (another Redis lifetime) resets every revision of the old one.
  view.load({5000, {}, {{"z", "172.20.0.2", "h2", ""}}});
  auto after_load = decode(view.peers_after(13));
  EXPECT_TRUE(after_load.reset);
  EXPECT_EQ(after_load.revision, 5000u);
  ASSERT_EQ(after_load.snapshot.endpoints.size(), 1u);
  EXPECT_EQ(after_load.snapshot.endpoints[0].container_name, "z");
}

TEST(ClusterView, ALoadWithItsHistoryLetsOlderWatchersGoOn) {
  ClusterView view(3);
  std::vector<proto::Change> history{put_endpoint(6, "a"), put_endpoint(7, "b"), put_endpoint(8, "c"),
                                     delete_endpoint(9, "a")};
  view.load({9, {}, {{"b", "172.20.0.9", "h1", ""}, {"c", "172.20.0.9", "h1", ""}}}, history);
  auto update = decode(view.peers_after(7));
  EXPECT_FALSE(update.full);
  ASSERT_EQ(update.changes.size(), 2u);
  EXPECT_EQ(update.changes[0], put_endpoint(8, "c"));
  EXPECT_TRUE(decode(view.peers_after(5)).reset);  // three retained: 7 is the oldest to go on from
  EXPECT_FALSE(decode(view.peers_after(6)).full);

  // A history that does not end at the snapshot, or has a gap, is not used.
  view.load({20, {}, {}}, {put_endpoint(18, "x"), put_endpoint(19, "y")});
  EXPECT_TRUE(decode(view.peers_after(18)).reset);
  view.load({30, {}, {}}, {put_endpoint(27, "x"), put_endpoint(30, "y")});
  EXPECT_TRUE(decode(view.peers_after(27)).reset);
}

TEST(ClusterView, CapsOneAnswer) {
  ClusterView view;
  view.load({0, {}, {}});
  std::vector<proto::Change> many;
  for (uint64_t r = 1; r <= proto::kMaxChangesPerAnswer + 5; ++r) many.push_back(put_endpoint(r, "c" + std::to_string(r)));
  view.apply(many);
  auto first = decode(view.peers_after(0));
  EXPECT_EQ(first.changes.size(), proto::kMaxChangesPerAnswer);
  EXPECT_EQ(first.revision, proto::kMaxChangesPerAnswer);
  auto rest = decode(view.peers_after(first.revision));
  EXPECT_EQ(rest.changes.size(), 5u);
}

TEST(ClusterView, CountsContainersWithoutGateways) {
  ClusterView view;
  view.load({0, {}, {}});
  view.apply({put_endpoint(1, "a", "h1"), put_endpoint(2, "vxlan-gateway.h1", "h1"), put_endpoint(3, "b", "h2")});
  auto counts = view.container_counts();
  EXPECT_EQ(counts["h1"], 1u);
  EXPECT_EQ(counts["h2"], 1u);
  EXPECT_EQ(view.endpoints("h1").size(), 2u);
  EXPECT_EQ(view.endpoints().size(), 3u);
}

TEST(ClusterView, AWaiterOnAnotherThreadWakesOnTheChange) {
  ClusterView view;
  view.load({1, {}, {}});
  asio::io_context io;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    view.apply({put_endpoint(2, "a")});
  });
  auto started = Clock::now();
  bool woken = run_blocking(io, view.wait_past(1, started + std::chrono::seconds(10)));
  auto waited = Clock::now() - started;
  writer.join();
  EXPECT_TRUE(woken);
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_EQ(view.watchers(), 0u);
}

TEST(ClusterView, WatchersAreWokenAtMostOncePerPaceAndReadersNeverWait) {
  ClusterView view(100, std::chrono::seconds(10));
  view.load({1, {}, {}});
  EXPECT_FALSE(view.apply({put_endpoint(2, "a")}).has_value());  // the first change goes out at once
  EXPECT_TRUE(view.apply({put_endpoint(3, "b")}).has_value());   // the next waits for the pace
  asio::io_context io;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    view.apply({put_endpoint(4, "c")});  // held back
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    view.wake_due_watchers();
  });
  auto started = Clock::now();
  bool woken = run_blocking(io, view.wait_past(3, started + std::chrono::seconds(10)));
  auto waited = Clock::now() - started;
  writer.join();
  EXPECT_TRUE(woken);
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_EQ(decode(view.peers_after(3)).changes.size(), 1u);
  // A reader waiting for a revision is woken by the change itself.
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    view.apply({put_endpoint(5, "d")});
  });
  EXPECT_TRUE(run_blocking(io, view.wait_until(5, Clock::now() + std::chrono::seconds(5))));
  later.join();
}

TEST(ClusterView, AWaiterGivesUpAtItsDeadline) {
  ClusterView view;
  view.load({1, {}, {}});
  asio::io_context io;
  auto started = Clock::now();
  EXPECT_FALSE(run_blocking(io, view.wait_past(1, started + std::chrono::milliseconds(150))));
  EXPECT_GE(Clock::now() - started, std::chrono::milliseconds(150));
  EXPECT_EQ(view.watchers(), 0u);
  EXPECT_TRUE(run_blocking(io, view.wait_until(1, Clock::now() + std::chrono::seconds(1))));  // reached already
}

TEST(ClusterView, AnUnloadedViewHoldsReadersBack) {
  ClusterView view;
  asio::io_context io;
  EXPECT_FALSE(view.loaded());
  EXPECT_FALSE(run_blocking(io, view.wait_until(0, Clock::now() + std::chrono::milliseconds(50))));
  view.load({7, {}, {}});
  EXPECT_TRUE(run_blocking(io, view.wait_until(7, Clock::now() + std::chrono::milliseconds(50))));
}

}  // namespace
}  // namespace vx::ipam
