// The reconciler's pure decisions (peer_model.h, fdb_plan.h). The model's desired entries: a flood entry per other live host and
// none for this one or for a registered host whose heartbeats are late; a MAC entry per endpoint on
// another registered host (live or late) pointing at that host's underlay address; nothing for
// endpoints on this host, on a host that left (missing from the hosts) or without a MAC; no
// duplicates. plan_fdb: stale entries removed, missing ones added, a MAC that moved host removed
// at the old address and added at the new one, nothing to do when the kernel already holds exactly
// the desired entries.
#include <gtest/gtest.h>

#include <random>

#include "agent/fdb_plan.h"
#include "agent/peer_model.h"
#include "fakes.h"

namespace vx::agent {
namespace {

using fakes::ip;
using fakes::sorted;

using fakes::kMacA;
using fakes::kMacB;
constexpr const char* kMacC = "02:42:ac:14:00:07";

FdbEntry flood(const std::string& dst) { return {kFloodMac, ip(dst)}; }
FdbEntry entry(const std::string& mac, const std::string& dst) { return {mac, ip(dst)}; }

// host1 (this one) at .11, host2 at .12, host3 at .13: all live.
proto::Host host(const std::string& id, const std::string& underlay, bool alive = true) {
  return {id, underlay, "http://" + underlay + ":8001", alive};
}

proto::Snapshot three_hosts() {
  return {0, {host("host1", "10.99.0.11"), host("host2", "10.99.0.12"), host("host3", "10.99.0.13")}, {}};
}

std::vector<FdbEntry> desired_fdb(const proto::Snapshot& snapshot, const std::string& self) {
  PeerModel model(self);
  model.replace(snapshot);
  return model.desired("vxlan-net");
}

TEST(PeerModel, FloodEntryPerOtherLiveHostAndNoneForSelf) {
  std::vector<FdbEntry> expected{flood("10.99.0.12"), flood("10.99.0.13")};
  EXPECT_EQ(sorted(desired_fdb(three_hosts(), "host1")), expected);
  std::vector<FdbEntry> from_host2{flood("10.99.0.11"), flood("10.99.0.13")};
  EXPECT_EQ(sorted(desired_fdb(three_hosts(), "host2")), from_host2);
}

TEST(PeerModel, AloneInTheClusterHoldsNothing) {
  proto::Snapshot peers{0, {host("host1", "10.99.0.11")}, {{"web", "172.20.0.5", "host1", kMacA}}};
  EXPECT_TRUE(desired_fdb(peers, "host1").empty());
}

TEST(PeerModel, MacEntryOnlyForEndpointsOnOtherLiveHostsWithAMac) {
  proto::Snapshot peers = three_hosts();
  peers.endpoints = {
      {"on-host2", "172.20.0.5", "host2", kMacA},
      {"on-host3", "172.20.0.6", "host3", kMacB},
      {"on-self", "172.20.0.7", "host1", kMacC},
      {"on-a-host-that-left", "172.20.0.8", "host9", "02:42:ac:14:00:08"},
      {"without-mac", "172.20.0.9", "host2", ""},
  };
  std::vector<FdbEntry> expected{flood("10.99.0.12"), flood("10.99.0.13"), entry(kMacA, "10.99.0.12"),
                                 entry(kMacB, "10.99.0.13")};
  EXPECT_EQ(sorted(desired_fdb(peers, "host1")), expected);
}

TEST(PeerModel, ALateHostGetsNoFloodEntryButKeepsItsMacEntries) {
  proto::Snapshot peers = three_hosts();
  peers.hosts[2].alive = false;  // host3's heartbeats are late
  peers.endpoints = {{"on-host2", "172.20.0.5", "host2", kMacA}, {"on-host3", "172.20.0.6", "host3", kMacB}};
  std::vector<FdbEntry> expected{flood("10.99.0.12"), entry(kMacA, "10.99.0.12"), entry(kMacB, "10.99.0.13")};
  EXPECT_EQ(sorted(desired_fdb(peers, "host1")), expected);
}

TEST(PeerModel, DuplicatesCollapse) {
  proto::Snapshot peers = three_hosts();
  peers.hosts.push_back(host("host2", "10.99.0.12"));
  peers.endpoints = {{"web", "172.20.0.5", "host2", kMacA}, {"web", "172.20.0.5", "host2", kMacA}};
  std::vector<FdbEntry> expected{flood("10.99.0.12"), flood("10.99.0.13"), entry(kMacA, "10.99.0.12")};
  EXPECT_EQ(sorted(desired_fdb(peers, "host1")), expected);
}

TEST(PeerModel, AHostWithAnUnparsableUnderlayGetsNoEntry) {
  proto::Snapshot peers = three_hosts();
  peers.hosts[1].underlay_ip = "not-an-address";
  peers.endpoints = {{"on-host2", "172.20.0.5", "host2", kMacA}};
  EXPECT_EQ(sorted(desired_fdb(peers, "host1")), std::vector<FdbEntry>{flood("10.99.0.13")});
}

// The changes apply() answers, applied one by one to a kernel that started from the full diff,
// keep each network's device holding exactly desired(network) after every change: hosts joining,
// going quiet, coming back, moving and leaving; endpoints and gateways put on either network,
// given MACs, moved to other hosts and networks and deleted, in random order.
TEST(PeerModel, EachChangesPlanKeepsTheKernelEqualToTheWholeDiff) {
  std::mt19937 random(12345);
  auto pick = [&](int n) { return static_cast<int>(random() % n); };
  PeerModel model("host0");
  std::map<std::string, std::set<FdbEntry>> kernel;
  std::map<std::string, std::set<NeighbourEntry>> neighbours;
  uint64_t revision = 0;
  for (int step = 0; step < 4000; ++step) {
    proto::Change change;
    change.revision = ++revision;
    change.op = pick(4) == 0 ? proto::Op::kDelete : proto::Op::kPut;
    std::string host_id = "host" + std::to_string(pick(5));
    if (pick(3) == 0) {
      change.kind = proto::Kind::kHost;
      change.host = host(host_id, "10.99.0." + std::to_string(10 + pick(3)), pick(2) == 0);
    } else {
      change.kind = proto::Kind::kEndpoint;
      int n = pick(12);
      std::string mac = pick(3) == 0 ? "" : "02:42:ac:14:00:" + std::to_string(10 + n);
      std::string name = pick(4) == 0 ? proto::gateway_name(host_id, "blue") : "c" + std::to_string(n);
      change.endpoint = {name, "172.20.0." + std::to_string(10 + n), host_id, mac, pick(2) ? "blue" : "vxlan-net"};
    }
    for (const auto& [network, plan] : model.apply(change)) {
      for (const auto& entry : plan.fdb.remove) kernel[network].erase(entry);
      for (const auto& entry : plan.fdb.add) kernel[network].insert(entry);
      for (const auto& entry : plan.neighbours.remove) neighbours[network].erase(entry);
      for (const auto& entry : plan.neighbours.add) neighbours[network].insert(entry);
    }
    for (const char* network : {"vxlan-net", "blue"}) {
      std::vector<FdbEntry> held(kernel[network].begin(), kernel[network].end());
      ASSERT_EQ(held, model.desired(network)) << "after step " << step << " on " << network;
      std::vector<NeighbourEntry> answered(neighbours[network].begin(), neighbours[network].end());
      ASSERT_EQ(answered, model.desired_neighbours(network)) << "after step " << step << " on " << network;
    }
  }
}

// Docker's overlay rule: a network's broadcasts go only to the hosts that run its containers; a
// host's gateway on it is no container. The default network still floods to every live peer.
TEST(PeerModel, ANetworkFloodsOnlyTowardsHostsWithItsContainers) {
  proto::Snapshot peers = three_hosts();
  peers.endpoints = {
      {"web", "10.30.0.5", "host2", kMacA, "blue"},
      {"vxlan-gateway-blue.host3", "10.30.0.1", "host3", kMacB, "blue"},
      {"db", "172.20.0.7", "host3", kMacC, "vxlan-net"},
  };
  PeerModel model("host1");
  model.replace(peers);
  std::vector<FdbEntry> blue{entry(kMacA, "10.99.0.12"), entry(kMacB, "10.99.0.13"), flood("10.99.0.12")};
  EXPECT_EQ(sorted(model.desired("blue")), sorted(blue));
  std::vector<FdbEntry> default_network{entry(kMacC, "10.99.0.13"), flood("10.99.0.12"), flood("10.99.0.13")};
  EXPECT_EQ(sorted(model.desired("vxlan-net")), sorted(default_network));

  // host3's first container on blue brings its flood entry, its last one takes it away.
  proto::Change put{1, proto::Op::kPut, proto::Kind::kEndpoint, {}, {"api", "10.30.0.6", "host3", "", "blue"}};
  auto plans = model.apply(put);
  ASSERT_EQ(plans.size(), 1u);
  EXPECT_EQ(plans["blue"].fdb.add, std::vector<FdbEntry>{flood("10.99.0.13")});
  EXPECT_TRUE(plans["blue"].fdb.remove.empty());
  proto::Change gone = put;
  gone.op = proto::Op::kDelete;
  plans = model.apply(gone);
  EXPECT_EQ(plans["blue"].fdb.remove, std::vector<FdbEntry>{flood("10.99.0.13")});
  EXPECT_TRUE(plans["blue"].fdb.add.empty());
  EXPECT_TRUE(plans["vxlan-net"].empty());
}

// Each endpoint with a MAC on another host is answered for on this host: its address to its MAC,
// on its own network's device only; one without a MAC, or on this host, is not.
TEST(PeerModel, NeighbourEntriesAnswerArpForRemoteEndpoints) {
  proto::Snapshot peers = three_hosts();
  peers.endpoints = {
      {"web", "10.30.0.5", "host2", kMacA, "blue"},
      {"db", "172.20.0.7", "host3", kMacB, "vxlan-net"},
      {"nomac", "172.20.0.8", "host3", "", "vxlan-net"},
      {"local", "172.20.0.9", "host1", kMacC, "vxlan-net"},
  };
  PeerModel model("host1");
  model.replace(peers);
  EXPECT_EQ(model.desired_neighbours("blue"), (std::vector<NeighbourEntry>{{ip("10.30.0.5"), kMacA}}));
  EXPECT_EQ(model.desired_neighbours("vxlan-net"), (std::vector<NeighbourEntry>{{ip("172.20.0.7"), kMacB}}));
  // A MAC recorded later brings its entry; a removal takes it away.
  proto::Change recorded{1, proto::Op::kPut, proto::Kind::kEndpoint, {}, {"nomac", "172.20.0.8", "host3", kMacC}};
  auto plans = model.apply(recorded);
  EXPECT_EQ(plans["vxlan-net"].neighbours.add, (std::vector<NeighbourEntry>{{ip("172.20.0.8"), kMacC}}));
  proto::Change gone = recorded;
  gone.op = proto::Op::kDelete;
  plans = model.apply(gone);
  EXPECT_EQ(plans["vxlan-net"].neighbours.remove, (std::vector<NeighbourEntry>{{ip("172.20.0.8"), kMacC}}));
}

TEST(PlanFdb, RemovesStaleAndAddsMissing) {
  std::vector<FdbEntry> desired{flood("10.99.0.12"), flood("10.99.0.13"), entry(kMacA, "10.99.0.12")};
  std::vector<FdbEntry> current{entry(kMacB, "10.99.0.14"), flood("10.99.0.14"), flood("10.99.0.12")};
  FdbPlan plan = plan_fdb(desired, current);
  std::vector<FdbEntry> removed{flood("10.99.0.14"), entry(kMacB, "10.99.0.14")};
  std::vector<FdbEntry> added{flood("10.99.0.13"), entry(kMacA, "10.99.0.12")};
  EXPECT_EQ(sorted(plan.remove), removed);
  EXPECT_EQ(sorted(plan.add), added);
  EXPECT_FALSE(plan.empty());
}

TEST(PlanFdb, AMacThatMovedHostIsRemovedThereAndAddedHere) {
  std::vector<FdbEntry> desired{flood("10.99.0.12"), flood("10.99.0.13"), entry(kMacA, "10.99.0.13")};
  std::vector<FdbEntry> current{flood("10.99.0.12"), flood("10.99.0.13"), entry(kMacA, "10.99.0.12")};
  FdbPlan plan = plan_fdb(desired, current);
  std::vector<FdbEntry> removed{entry(kMacA, "10.99.0.12")};
  std::vector<FdbEntry> added{entry(kMacA, "10.99.0.13")};
  EXPECT_EQ(plan.remove, removed);
  EXPECT_EQ(plan.add, added);
}

TEST(PlanFdb, NothingToDoWhenTheKernelHoldsTheDesiredEntriesInAnyOrder) {
  std::vector<FdbEntry> desired{flood("10.99.0.12"), entry(kMacA, "10.99.0.12"), flood("10.99.0.13")};
  std::vector<FdbEntry> current{entry(kMacA, "10.99.0.12"), flood("10.99.0.13"), flood("10.99.0.12")};
  FdbPlan plan = plan_fdb(desired, current);
  EXPECT_TRUE(plan.empty());
  EXPECT_TRUE(plan.remove.empty());
  EXPECT_TRUE(plan.add.empty());
  EXPECT_TRUE(plan_fdb({}, {}).empty());
}

TEST(PlanFdb, FromNothingAddsEverythingAndToNothingRemovesEverything) {
  std::vector<FdbEntry> entries{flood("10.99.0.12"), entry(kMacA, "10.99.0.12")};
  FdbPlan fresh = plan_fdb(entries, {});
  EXPECT_TRUE(fresh.remove.empty());
  EXPECT_EQ(sorted(fresh.add), sorted(entries));
  FdbPlan alone = plan_fdb({}, entries);
  EXPECT_TRUE(alone.add.empty());
  EXPECT_EQ(sorted(alone.remove), sorted(entries));
}

}  // namespace
}  // namespace vx::agent
