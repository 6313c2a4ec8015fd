// NetlinkDataplane against the real kernel, each test in a namespace of its own holding a veth
// underlay (dp-u0, 10.98.0.1/24, MTU 1500) and a bridge br-test. What the dataplane did is checked
// with `ip` and `bridge`, the tools users troubleshoot with.
#include <gtest/gtest.h>

#include <sstream>

#include "agent/dataplane/netlink_dataplane.h"
#include "dataplane/test_netns.h"

namespace vx::agent {
namespace {

using test::sh;
using test::TestNetns;
using test::why;
using test::ip;


class NetlinkDataplaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ns_.created()) << "cannot create network namespace " << ns_.name();
    for (const char* step : {"ip link add dp-u0 type veth peer name dp-u1", "ip link set dp-u0 mtu 1500 up",
                             "ip link set dp-u1 up", "ip addr add 10.98.0.1/24 dev dp-u0",
                             "ip link add br-test type bridge", "ip link set br-test up"}) {
      auto result = ns_.exec(step);
      ASSERT_EQ(result.status, 0) << step << ": " << result.output;
    }
  }

  static VxlanSpec spec() {
    VxlanSpec spec;
    spec.local = ip("10.98.0.1");
    spec.underlay_device = "dp-u0";
    spec.bridge = "br-test";
    return spec;
  }

  // Runs a command inside the namespace; it must succeed.
  std::string sh(const std::string& command) {
    auto result = ns_.exec(command);
    EXPECT_EQ(result.status, 0) << command << ": " << result.output;
    return result.output;
  }

  // `ip -d link show vxlan0` without the bridge port's line, whose timers tick on their own.
  std::string link_details() { return sh("ip -d link show vxlan0 | grep -v bridge_slave"); }

  int ifindex(const std::string& device) { return std::stoi(sh("ip -o link show dev " + device)); }

  // `bridge fdb show dev vxlan0` lines that point at a remote.
  std::vector<std::string> fdb_lines() {
    std::vector<std::string> lines;
    std::istringstream output(sh("bridge fdb show dev vxlan0"));
    for (std::string line; std::getline(output, line);) {
      if (line.find(" dst ") != std::string::npos) lines.push_back(line);
    }
    return lines;
  }

  Status ensure(const VxlanSpec& spec) { return ns_.run([&] { return dp_.ensure_vxlan(spec); }); }
  Status add(const FdbEntry& entry) { return ns_.run([&] { return dp_.add_fdb("vxlan0", entry); }); }
  Status remove(const FdbEntry& entry) { return ns_.run([&] { return dp_.remove_fdb("vxlan0", entry); }); }
  Result<std::vector<FdbEntry>> fdb() { return ns_.run([&] { return dp_.fdb("vxlan0"); }); }

  TestNetns ns_{"dptest"};
  NetlinkDataplane dp_;
};

TEST_F(NetlinkDataplaneTest, UnderlayReadsEveryAddressMtuAndIfindex) {
  sh("ip addr add 10.98.1.7/24 dev dp-u0");
  sh("ip addr add 10.98.2.9/24 dev dp-u1");  // another device's: not the underlay's
  auto info = ns_.run([&] { return dp_.underlay("dp-u0"); });
  ASSERT_TRUE(info) << why(info);
  EXPECT_EQ(info->addresses, (std::vector<Ipv4>{ip("10.98.0.1"), ip("10.98.1.7")}));
  EXPECT_TRUE(info->holds(ip("10.98.1.7")));
  EXPECT_FALSE(info->holds(ip("10.98.2.9")));
  EXPECT_EQ(info->mtu, 1500);
  EXPECT_EQ(info->ifindex, ifindex("dp-u0"));
}

TEST_F(NetlinkDataplaneTest, UnderlayErrors) {
  auto unknown = ns_.run([&] { return dp_.underlay("nosuchdev0"); });
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(unknown.error().code, "unknown_device");

  auto bare = ns_.run([&] { return dp_.underlay("dp-u1"); });
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().code, "no_ipv4_address");
  EXPECT_NE(bare.error().detail.find("dp-u1"), std::string::npos) << bare.error().detail;

  auto too_long = ns_.run([&] { return dp_.underlay("a-name-of-16-chr"); });
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().kind, ErrorKind::kBadInput);
}

TEST_F(NetlinkDataplaneTest, EnsureVxlanCreatesTheDevice) {
  auto created = ensure(spec());
  ASSERT_TRUE(created) << why(created);

  std::string shown = sh("ip -d link show vxlan0");
  for (const char* part : {"vxlan id 100 ", "local 10.98.0.1 ", "dev dp-u0 ", "dstport 4789 ", "nolearning",
                           "master br-test ", "mtu 1450 ", ",UP"}) {
    EXPECT_NE(shown.find(part), std::string::npos) << "'" << part << "' missing from:\n" << shown;
  }
  EXPECT_TRUE(shown.find("state UP") != std::string::npos || shown.find("state UNKNOWN") != std::string::npos)
      << shown;

  auto state = ns_.run([&] { return dp_.vxlan_state("vxlan0"); });
  ASSERT_TRUE(state) << why(state);
  EXPECT_TRUE(state->exists);
  EXPECT_TRUE(state->up);
  EXPECT_EQ(state->master, "br-test");
  EXPECT_EQ(state->vni, 100u);
  EXPECT_EQ(state->mtu, 1450);
}

TEST_F(NetlinkDataplaneTest, VxlanStateOfAbsentAndForeignDevices) {
  auto absent = ns_.run([&] { return dp_.vxlan_state("vxlan0"); });
  ASSERT_TRUE(absent) << why(absent);
  EXPECT_FALSE(absent->exists);

  auto veth = ns_.run([&] { return dp_.vxlan_state("dp-u0"); });
  ASSERT_FALSE(veth);
  EXPECT_EQ(veth.error().code, "not_vxlan");
}

TEST_F(NetlinkDataplaneTest, EnsureVxlanTwiceChangesNothing) {
  ASSERT_TRUE(ensure(spec()));
  int before = ifindex("vxlan0");
  std::string shown = link_details();
  auto again = ensure(spec());
  ASSERT_TRUE(again) << why(again);
  EXPECT_EQ(ifindex("vxlan0"), before);
  EXPECT_EQ(link_details(), shown);
}

TEST_F(NetlinkDataplaneTest, EnsureVxlanRepairsMtuMasterStateAndLearningInPlace) {
  ASSERT_TRUE(ensure(spec()));
  int before = ifindex("vxlan0");
  sh("ip link set vxlan0 down nomaster mtu 1400 && ip link set vxlan0 type vxlan learning");
  // `ip` prints "nolearning" when learning is off and nothing when it is on.
  ASSERT_EQ(sh("ip -d link show vxlan0").find("nolearning"), std::string::npos);

  auto repaired = ensure(spec());
  ASSERT_TRUE(repaired) << why(repaired);
  EXPECT_EQ(ifindex("vxlan0"), before);
  std::string shown = sh("ip -d link show vxlan0");
  for (const char* part : {"nolearning", "master br-test ", "mtu 1450 ", ",UP"}) {
    EXPECT_NE(shown.find(part), std::string::npos) << "'" << part << "' missing from:\n" << shown;
  }
}

TEST_F(NetlinkDataplaneTest, EnsureVxlanRecreatesOnAnotherVni) {
  ASSERT_TRUE(ensure(spec()));
  ASSERT_TRUE(add({kFloodMac, ip("10.98.0.2")}));
  VxlanSpec changed = spec();
  changed.vni = 200;
  auto recreated = ensure(changed);
  ASSERT_TRUE(recreated) << why(recreated);

  std::string shown = sh("ip -d link show vxlan0");
  EXPECT_NE(shown.find("vxlan id 200 "), std::string::npos) << shown;
  EXPECT_NE(shown.find("master br-test "), std::string::npos) << shown;
  EXPECT_TRUE(fdb_lines().empty()) << "the old device's entries went with it";
}

TEST_F(NetlinkDataplaneTest, EnsureVxlanNeedsBridgeAndUnderlay) {
  VxlanSpec no_bridge = spec();
  no_bridge.bridge = "br-missing";
  auto result = ensure(no_bridge);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(result.error().code, "unknown_device");
  EXPECT_NE(result.error().detail.find("br-missing"), std::string::npos) << result.error().detail;

  VxlanSpec no_underlay = spec();
  no_underlay.underlay_device = "eth-missing";
  result = ensure(no_underlay);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "unknown_device");

  EXPECT_NE(ns_.exec("ip link show vxlan0").status, 0) << "nothing was created";
}

TEST_F(NetlinkDataplaneTest, EnsureVxlanLeavesAForeignDeviceAlone) {
  sh("ip link add vxlan0 type bridge");
  auto result = ensure(spec());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, "not_vxlan");
  EXPECT_NE(sh("ip -d link show vxlan0").find("bridge "), std::string::npos);
}

TEST_F(NetlinkDataplaneTest, EnsureVxlanRejectsImpossibleSpecs) {
  VxlanSpec bad = spec();
  bad.vni = 1u << 24;
  EXPECT_EQ(ensure(bad).error().code, "invalid_vni");
  bad = spec();
  bad.port = 0;
  EXPECT_EQ(ensure(bad).error().code, "invalid_port");
  bad = spec();
  bad.mtu = 1451;  // the kernel would take it, and drop every full-size frame at the underlay
  EXPECT_EQ(ensure(bad).error().code, "invalid_mtu");
  EXPECT_NE(ns_.exec("ip link show vxlan0").status, 0) << "nothing was created";
}

TEST_F(NetlinkDataplaneTest, KernelRefusalIsUnavailableWithTheReason) {
  VxlanSpec not_a_bridge = spec();
  not_a_bridge.bridge = "dp-u1";  // a veth cannot be a master
  auto result = ensure(not_a_bridge);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(result.error().detail.rfind("creating vxlan device vxlan0: ", 0), 0u) << result.error().detail;
  EXPECT_NE(ns_.exec("ip link show vxlan0").status, 0) << "a refused creation leaves no device behind";
}

TEST_F(NetlinkDataplaneTest, FloodEntriesAreAppendedOncePerPeer) {
  ASSERT_TRUE(ensure(spec()));
  for (const char* peer : {"10.98.0.2", "10.98.0.3", "10.98.0.2"}) {
    auto added = add({kFloodMac, ip(peer)});
    ASSERT_TRUE(added) << why(added);
  }
  auto lines = fdb_lines();
  ASSERT_EQ(lines.size(), 2u) << testing::PrintToString(lines);
  for (const auto& line : lines) EXPECT_EQ(line.rfind("00:00:00:00:00:00 dst 10.98.0.", 0), 0u) << line;

  auto entries = fdb();
  ASSERT_TRUE(entries) << why(entries);
  EXPECT_EQ(*entries, (std::vector<FdbEntry>{{kFloodMac, ip("10.98.0.2")}, {kFloodMac, ip("10.98.0.3")}}));
}

TEST_F(NetlinkDataplaneTest, MacEntryIsReplaced) {
  ASSERT_TRUE(ensure(spec()));
  ASSERT_TRUE(add({"02:42:ac:14:00:05", ip("10.98.0.2")}));
  auto replaced = add({"02:42:AC:14:00:05", ip("10.98.0.3")});
  ASSERT_TRUE(replaced) << why(replaced);

  auto lines = fdb_lines();
  ASSERT_EQ(lines.size(), 1u) << testing::PrintToString(lines);
  EXPECT_EQ(lines[0].rfind("02:42:ac:14:00:05 dst 10.98.0.3 ", 0), 0u) << lines[0];
  auto entries = fdb();
  ASSERT_TRUE(entries) << why(entries);
  EXPECT_EQ(*entries, (std::vector<FdbEntry>{{"02:42:ac:14:00:05", ip("10.98.0.3")}}));
}

TEST_F(NetlinkDataplaneTest, RemoveDeletesExactlyOneEntry) {
  ASSERT_TRUE(ensure(spec()));
  ASSERT_TRUE(add({kFloodMac, ip("10.98.0.2")}));
  ASSERT_TRUE(add({kFloodMac, ip("10.98.0.3")}));
  ASSERT_TRUE(add({"02:42:ac:14:00:05", ip("10.98.0.2")}));

  auto removed = remove({kFloodMac, ip("10.98.0.2")});
  ASSERT_TRUE(removed) << why(removed);
  auto entries = fdb();
  ASSERT_TRUE(entries) << why(entries);
  EXPECT_EQ(*entries, (std::vector<FdbEntry>{{kFloodMac, ip("10.98.0.3")}, {"02:42:ac:14:00:05", ip("10.98.0.2")}}));

  for (const FdbEntry& absent : {FdbEntry{kFloodMac, ip("10.98.0.2")}, FdbEntry{"02:42:ac:14:00:05", ip("10.98.0.9")},
                                 FdbEntry{"02:42:ac:14:00:99", ip("10.98.0.2")}}) {
    auto again = remove(absent);
    EXPECT_TRUE(again) << absent.mac << " " << absent.dst.to_string() << ": " << why(again);
  }
  EXPECT_EQ(fdb_lines().size(), 2u);
}

TEST_F(NetlinkDataplaneTest, FdbLeavesOutTheKernelsOwnEntries) {
  ASSERT_TRUE(ensure(spec()));
  ASSERT_FALSE(sh("bridge fdb show dev vxlan0").empty()) << "enslaving adds the kernel's permanent entries";
  auto entries = fdb();
  ASSERT_TRUE(entries) << why(entries);
  EXPECT_TRUE(entries->empty()) << testing::PrintToString(entries->size());
}

TEST_F(NetlinkDataplaneTest, FdbCallsCheckTheDevice) {
  auto missing = fdb();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "unknown_device");

  auto on_veth = ns_.run([&] { return dp_.add_fdb("dp-u0", {kFloodMac, ip("10.98.0.2")}); });
  ASSERT_FALSE(on_veth);
  EXPECT_EQ(on_veth.error().code, "not_vxlan");

  ASSERT_TRUE(ensure(spec()));
  auto bad_mac = add({"02:42:ac:14:00", ip("10.98.0.2")});
  ASSERT_FALSE(bad_mac);
  EXPECT_EQ(bad_mac.error().code, "invalid_mac");
}

}  // namespace
}  // namespace vx::agent
