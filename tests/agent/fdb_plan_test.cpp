// The reconciler's pure decisions (fdb_plan.h). desired_fdb: a flood entry per other live host and
// none for this one or for a registered host whose heartbeats are late; a MAC entry per endpoint on
// another registered host (live or late) pointing at that host's underlay address; nothing for
// endpoints on this host, on a host that left (missing from the hosts) or without a MAC; no
// duplicates. plan_fdb: stale entries removed, missing ones added, a MAC that moved host removed
// at the old address and added at the new one, nothing to do when the kernel already holds exactly
// the desired entries.
#include <gtest/gtest.h>

#include "agent/fdb_plan.h"
#include "fakes.h"

namespace vx {
namespace {

using fakes::ip;
using fakes::sorted;

constexpr const char* kMacA = "02:42:ac:14:00:05";
constexpr const char* kMacB = "02:42:ac:14:00:06";
constexpr const char* kMacC = "02:42:ac:14:00:07";

FdbEntry flood(const std::string& dst) { return {kFloodMac, ip(dst)}; }
FdbEntry entry(const std::string& mac, const std::string& dst) { return {mac, ip(dst)}; }

// host1 (this one) at .11, host2 at .12, host3 at .13: all live.
Peers three_hosts() {
  return {{{"host1", ip("10.99.0.11"), true}, {"host2", ip("10.99.0.12"), true}, {"host3", ip("10.99.0.13"), true}},
          {}};
}

TEST(DesiredFdb, FloodEntryPerOtherLiveHostAndNoneForSelf) {
  std::vector<FdbEntry> expected{flood("10.99.0.12"), flood("10.99.0.13")};
  EXPECT_EQ(sorted(desired_fdb(three_hosts(), "host1")), expected);
  std::vector<FdbEntry> from_host2{flood("10.99.0.11"), flood("10.99.0.13")};
  EXPECT_EQ(sorted(desired_fdb(three_hosts(), "host2")), from_host2);
}

TEST(DesiredFdb, AloneInTheClusterHoldsNothing) {
  Peers peers{{{"host1", ip("10.99.0.11"), true}}, {{"web", "172.20.0.5", "host1", kMacA}}};
  EXPECT_TRUE(desired_fdb(peers, "host1").empty());
}

TEST(DesiredFdb, MacEntryOnlyForEndpointsOnOtherLiveHostsWithAMac) {
  Peers peers = three_hosts();
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

TEST(DesiredFdb, ALateHostGetsNoFloodEntryButKeepsItsMacEntries) {
  Peers peers = three_hosts();
  peers.hosts[2].alive = false;  // host3's heartbeats are late
  peers.endpoints = {{"on-host2", "172.20.0.5", "host2", kMacA}, {"on-host3", "172.20.0.6", "host3", kMacB}};
  std::vector<FdbEntry> expected{flood("10.99.0.12"), entry(kMacA, "10.99.0.12"), entry(kMacB, "10.99.0.13")};
  EXPECT_EQ(sorted(desired_fdb(peers, "host1")), expected);
}

TEST(DesiredFdb, DuplicatesCollapse) {
  Peers peers = three_hosts();
  peers.hosts.push_back({"host2", ip("10.99.0.12"), true});
  peers.endpoints = {{"web", "172.20.0.5", "host2", kMacA}, {"web", "172.20.0.5", "host2", kMacA}};
  std::vector<FdbEntry> expected{flood("10.99.0.12"), flood("10.99.0.13"), entry(kMacA, "10.99.0.12")};
  EXPECT_EQ(sorted(desired_fdb(peers, "host1")), expected);
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
}  // namespace vx
