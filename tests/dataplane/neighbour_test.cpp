// NetlinkDataplane's proxy mode, quiet IPv6 and neighbour entries against the real kernel.
// NeighbourTest works in one namespace like NetlinkDataplaneTest (a veth underlay dp-u0,
// 10.98.0.1/24, and a bridge br-test) and checks with `ip`. ProxyArpTest is the proof that proxy
// mode answers ARP on the host: a "host" namespace with that setup and a "container" namespace
// attached to br-test by a veth holding 10.40.0.2/24; the container resolves 10.40.0.3, and only
// the VXLAN device's neighbour entry can answer (nothing else on the bridge holds the address, and
// the VXLAN device has no FDB entry, so nothing leaves the host namespace).
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


bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// The underlay and the bridge of NetlinkDataplaneTest, in `ns`.
void make_host(const TestNetns& ns) {
  ASSERT_TRUE(ns.created()) << "cannot create network namespace " << ns.name();
  for (const char* step : {"ip link add dp-u0 type veth peer name dp-u1", "ip link set dp-u0 mtu 1500 up",
                           "ip link set dp-u1 up", "ip addr add 10.98.0.1/24 dev dp-u0",
                           "ip link add br-test type bridge", "ip link set br-test up"}) {
    auto result = ns.exec(step);
    ASSERT_EQ(result.status, 0) << step << ": " << result.output;
  }
}

VxlanSpec spec() {
  VxlanSpec spec;
  spec.local = ip("10.98.0.1");
  spec.underlay_device = "dp-u0";
  spec.bridge = "br-test";
  return spec;
}

class NeighbourTest : public ::testing::Test {
 protected:
  void SetUp() override { make_host(ns_); }

  std::string sh(const std::string& command) { return vx::agent::sh(ns_, command); }
  int ifindex(const std::string& device) { return std::stoi(sh("ip -o link show dev " + device)); }
  std::string disable_ipv6(const std::string& device) {
    return sh("cat /proc/sys/net/ipv6/conf/" + device + "/disable_ipv6");
  }
  // `ip neigh show dev vxlan0` lines of an IPv4 address.
  std::vector<std::string> neigh_lines() { return lines_of(sh("ip -4 neigh show dev vxlan0")); }

  Status ensure(const VxlanSpec& spec) { return ns_.run([&] { return dp_.ensure_vxlan(spec); }); }
  Result<VxlanState> state() { return ns_.run([&] { return dp_.vxlan_state("vxlan0"); }); }
  Status add(const NeighbourEntry& entry) { return ns_.run([&] { return dp_.add_neighbour("vxlan0", entry); }); }
  Status remove(const NeighbourEntry& entry) {
    return ns_.run([&] { return dp_.remove_neighbour("vxlan0", entry); });
  }
  Result<std::vector<NeighbourEntry>> neighbours() { return ns_.run([&] { return dp_.neighbours("vxlan0"); }); }

  TestNetns ns_{"nbtest"};
  NetlinkDataplane dp_;
};

TEST_F(NeighbourTest, EnsureVxlanCreatesAProxyDeviceWithIpv6Off) {
  auto created = ensure(spec());
  ASSERT_TRUE(created) << why(created);
  std::string shown = sh("ip -d link show vxlan0");
  EXPECT_TRUE(contains(shown, " proxy ")) << shown;
  EXPECT_TRUE(contains(shown, ",UP")) << shown;
  auto now = state();
  ASSERT_TRUE(now) << why(now);
  EXPECT_TRUE(now->proxy);
  EXPECT_TRUE(now->up);

  EXPECT_EQ(disable_ipv6("vxlan0"), "1\n");
  EXPECT_EQ(disable_ipv6("br-test"), "1\n");
  EXPECT_EQ(sh("ip -6 addr show dev vxlan0"), "") << "no link-local address";
  EXPECT_EQ(sh("ip -6 addr show dev br-test"), "");
}

TEST_F(NeighbourTest, EnsureVxlanWithoutProxy) {
  VxlanSpec plain = spec();
  plain.proxy = false;
  auto created = ensure(plain);
  ASSERT_TRUE(created) << why(created);
  EXPECT_FALSE(contains(sh("ip -d link show vxlan0"), " proxy "));
  auto now = state();
  ASSERT_TRUE(now) << why(now);
  EXPECT_FALSE(now->proxy);
  EXPECT_EQ(disable_ipv6("vxlan0"), "1\n") << "IPv6 is quiet either way";
}

// The kernel refuses to change the flag in place ("cannot change PROXY flag"): recreated.
TEST_F(NeighbourTest, EnsureVxlanRecreatesADeviceWithAnotherProxyMode) {
  sh("ip link add vxlan0 type vxlan id 100 local 10.98.0.1 dev dp-u0 dstport 4789 nolearning");
  sh("ip link set vxlan0 mtu 1450 master br-test up");
  ASSERT_FALSE(contains(sh("ip -d link show vxlan0"), " proxy "));
  int before = ifindex("vxlan0");

  auto proxied = ensure(spec());
  ASSERT_TRUE(proxied) << why(proxied);
  std::string shown = sh("ip -d link show vxlan0");
  for (const char* part : {" proxy ", "vxlan id 100 ", "nolearning", "master br-test ", "mtu 1450 ", ",UP"}) {
    EXPECT_TRUE(contains(shown, part)) << "'" << part << "' missing from:\n" << shown;
  }
  EXPECT_NE(ifindex("vxlan0"), before);
  auto now = state();
  ASSERT_TRUE(now) << why(now);
  EXPECT_TRUE(now->proxy);
  EXPECT_EQ(disable_ipv6("vxlan0"), "1\n");

  int proxied_index = ifindex("vxlan0");
  VxlanSpec plain = spec();
  plain.proxy = false;
  auto back = ensure(plain);
  ASSERT_TRUE(back) << why(back);
  EXPECT_FALSE(contains(sh("ip -d link show vxlan0"), " proxy "));
  EXPECT_NE(ifindex("vxlan0"), proxied_index);
  now = state();
  ASSERT_TRUE(now) << why(now);
  EXPECT_FALSE(now->proxy);
}

TEST_F(NeighbourTest, EnsureVxlanQuietsIpv6OfAnExistingDeviceInPlace) {
  ASSERT_TRUE(ensure(spec()));
  int before = ifindex("vxlan0");
  sh("echo 0 > /proc/sys/net/ipv6/conf/vxlan0/disable_ipv6 && echo 0 > /proc/sys/net/ipv6/conf/br-test/disable_ipv6");
  ASSERT_EQ(disable_ipv6("vxlan0"), "0\n");

  auto again = ensure(spec());
  ASSERT_TRUE(again) << why(again);
  EXPECT_EQ(ifindex("vxlan0"), before);
  EXPECT_EQ(disable_ipv6("vxlan0"), "1\n");
  EXPECT_EQ(disable_ipv6("br-test"), "1\n");
  EXPECT_TRUE(contains(sh("ip -d link show vxlan0"), " proxy "));
}

TEST_F(NeighbourTest, AddReplaceAndRemove) {
  ASSERT_TRUE(ensure(spec()));
  auto added = add({ip("10.40.0.3"), "02:00:00:00:00:03"});
  ASSERT_TRUE(added) << why(added);
  auto lines = neigh_lines();
  ASSERT_EQ(lines.size(), 1u) << testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "10.40.0.3 lladdr 02:00:00:00:00:03 PERMANENT");
  auto listed = neighbours();
  ASSERT_TRUE(listed) << why(listed);
  EXPECT_EQ(*listed, (std::vector<NeighbourEntry>{{ip("10.40.0.3"), "02:00:00:00:00:03"}}));

  auto replaced = add({ip("10.40.0.3"), "02:00:00:00:00:AA"});
  ASSERT_TRUE(replaced) << why(replaced);
  lines = neigh_lines();
  ASSERT_EQ(lines.size(), 1u) << testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "10.40.0.3 lladdr 02:00:00:00:00:aa PERMANENT");
  ASSERT_TRUE(add({ip("10.40.0.4"), "02:00:00:00:00:04"}));
  listed = neighbours();
  ASSERT_TRUE(listed) << why(listed);
  EXPECT_EQ(*listed, (std::vector<NeighbourEntry>{{ip("10.40.0.3"), "02:00:00:00:00:aa"},
                                                  {ip("10.40.0.4"), "02:00:00:00:00:04"}}));

  // The replaced entry is gone already: removing it leaves the address's new entry alone.
  auto stale = remove({ip("10.40.0.3"), "02:00:00:00:00:03"});
  ASSERT_TRUE(stale) << why(stale);
  EXPECT_EQ(neigh_lines().size(), 2u);

  auto removed = remove({ip("10.40.0.3"), "02:00:00:00:00:AA"});
  ASSERT_TRUE(removed) << why(removed);
  lines = neigh_lines();
  ASSERT_EQ(lines.size(), 1u) << testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "10.40.0.4 lladdr 02:00:00:00:00:04 PERMANENT");

  auto absent = remove({ip("10.40.0.3"), "02:00:00:00:00:aa"});
  EXPECT_TRUE(absent) << why(absent);
  auto never = remove({ip("10.40.0.99"), "02:00:00:00:00:99"});
  EXPECT_TRUE(never) << why(never);
  EXPECT_EQ(neigh_lines().size(), 1u);
}

TEST_F(NeighbourTest, ListsOnlyPermanentEntriesOfTheDevice) {
  ASSERT_TRUE(ensure(spec()));
  ASSERT_TRUE(add({ip("10.40.0.3"), "02:00:00:00:00:03"}));
  sh("ip neigh add 10.40.0.7 lladdr 02:00:00:00:00:07 dev vxlan0 nud stale");
  sh("ip neigh add 10.40.0.8 lladdr 02:00:00:00:00:08 dev vxlan0 nud reachable");
  sh("ip neigh add 10.40.0.9 lladdr 02:00:00:00:00:09 dev vxlan0 nud noarp");
  sh("ip neigh add 10.98.0.2 lladdr 02:00:00:00:00:02 dev dp-u0 nud permanent");  // another device's
  // `ip neigh show` hides NOARP entries unless asked for every state.
  auto all = lines_of(sh("ip -4 neigh show dev vxlan0 nud all"));
  ASSERT_EQ(all.size(), 4u) << testing::PrintToString(all);

  auto listed = neighbours();
  ASSERT_TRUE(listed) << why(listed);
  EXPECT_EQ(*listed, (std::vector<NeighbourEntry>{{ip("10.40.0.3"), "02:00:00:00:00:03"}}));

  // A learnt entry for the address is not ours to remove.
  auto learnt = remove({ip("10.40.0.7"), "02:00:00:00:00:07"});
  EXPECT_TRUE(learnt) << why(learnt);
  EXPECT_TRUE(contains(sh("ip neigh show 10.40.0.7 dev vxlan0"), "STALE"));
}

// Found by review: a gratuitous ARP this host sends never reaches its own cache, so the host kept
// talking to a restarted container's old MAC until its entry expired.
TEST_F(NeighbourTest, AnAnnouncementMovesThisHostsOwnEntryAndMakesNone) {
  sh("ip neigh add 10.40.0.7 lladdr 02:00:00:00:00:07 dev br-test nud reachable");
  auto announced = ns_.run([&] { return dp_.announce("br-test", {ip("10.40.0.7"), "02:00:00:00:00:77"}); });
  ASSERT_TRUE(announced) << why(announced);
  EXPECT_TRUE(contains(sh("ip neigh show 10.40.0.7 dev br-test"), "lladdr 02:00:00:00:00:77 STALE"))
      << sh("ip neigh show dev br-test");
  auto uncached = ns_.run([&] { return dp_.announce("br-test", {ip("10.40.0.8"), "02:00:00:00:00:08"}); });
  ASSERT_TRUE(uncached) << why(uncached);
  EXPECT_EQ(sh("ip neigh show 10.40.0.8 dev br-test"), "");
  auto missing = ns_.run([&] { return dp_.announce("nosuchdev0", {ip("10.40.0.7"), "02:00:00:00:00:77"}); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "unknown_device");
}

TEST_F(NeighbourTest, CallsCheckTheDeviceAndTheMac) {
  ASSERT_TRUE(ensure(spec()));
  auto missing = ns_.run([&] { return dp_.neighbours("nosuchdev0"); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(missing.error().code, "unknown_device");
  auto add_missing = ns_.run([&] { return dp_.add_neighbour("nosuchdev0", {ip("10.40.0.3"), "02:00:00:00:00:03"}); });
  ASSERT_FALSE(add_missing);
  EXPECT_EQ(add_missing.error().code, "unknown_device");
  auto remove_missing =
      ns_.run([&] { return dp_.remove_neighbour("nosuchdev0", {ip("10.40.0.3"), "02:00:00:00:00:03"}); });
  ASSERT_FALSE(remove_missing);
  EXPECT_EQ(remove_missing.error().code, "unknown_device");

  for (const char* bad : {"02:00:00:00:03", "02:00:00:00:00:0g", ""}) {
    auto added = add({ip("10.40.0.3"), bad});
    ASSERT_FALSE(added) << bad;
    EXPECT_EQ(added.error().kind, ErrorKind::kBadInput) << bad;
    EXPECT_EQ(added.error().code, "invalid_mac") << bad;
    auto removed = remove({ip("10.40.0.3"), bad});
    ASSERT_FALSE(removed) << bad;
    EXPECT_EQ(removed.error().code, "invalid_mac") << bad;
  }
  EXPECT_TRUE(neigh_lines().empty());
}

class ProxyArpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    make_host(host_);
    ASSERT_TRUE(container_.created()) << "cannot create network namespace " << container_.name();
    vx::agent::sh(host_, "ip link add nb-c0 type veth peer name eth0 netns " + container_.name());
    vx::agent::sh(host_, "ip link set nb-c0 master br-test up");
    vx::agent::sh(container_, "ip link set lo up && ip link set eth0 up && ip addr add 10.40.0.2/24 dev eth0");
  }

  Status ensure(const VxlanSpec& spec) { return host_.run([&] { return dp_.ensure_vxlan(spec); }); }
  Status add(const NeighbourEntry& entry) { return host_.run([&] { return dp_.add_neighbour("vxlan0", entry); }); }
  Status remove(const NeighbourEntry& entry) {
    return host_.run([&] { return dp_.remove_neighbour("vxlan0", entry); });
  }

  // What the container's ARP for 10.40.0.3 learnt, from a clean table: `ip neigh show 10.40.0.3`.
  // The ping gets no answer either way (nothing holds the address); it only sends the ARP.
  std::string resolve() {
    auto result = container_.exec("ip neigh flush all; ping -c1 -W1 10.40.0.3 >/dev/null 2>&1; ip neigh show 10.40.0.3");
    EXPECT_EQ(result.status, 0) << result.output;
    return result.output;
  }

  TestNetns host_{"nbhost"};
  TestNetns container_{"nbctr"};
  NetlinkDataplane dp_;
};

TEST_F(ProxyArpTest, TheVxlanDeviceAnswersFromItsNeighbourEntries) {
  auto created = ensure(spec());
  ASSERT_TRUE(created) << why(created);

  std::string unanswered = resolve();
  EXPECT_FALSE(contains(unanswered, "lladdr")) << unanswered;
  EXPECT_TRUE(contains(unanswered, "INCOMPLETE") || contains(unanswered, "FAILED")) << unanswered;

  auto added = add({ip("10.40.0.3"), "02:00:00:00:00:03"});
  ASSERT_TRUE(added) << why(added);
  std::string answered = resolve();
  EXPECT_TRUE(contains(answered, "10.40.0.3 dev eth0 lladdr 02:00:00:00:00:03 ")) << answered;
  EXPECT_TRUE(contains(answered, "REACHABLE") || contains(answered, "STALE") || contains(answered, "DELAY"))
      << answered;

  ASSERT_TRUE(remove({ip("10.40.0.3"), "02:00:00:00:00:03"}));
  std::string removed = resolve();
  EXPECT_FALSE(contains(removed, "lladdr")) << removed;
}

TEST_F(ProxyArpTest, WithoutProxyModeTheEntryAnswersNothing) {
  VxlanSpec plain = spec();
  plain.proxy = false;
  ASSERT_TRUE(ensure(plain));
  ASSERT_TRUE(add({ip("10.40.0.3"), "02:00:00:00:00:03"}));
  std::string unanswered = resolve();
  EXPECT_FALSE(contains(unanswered, "lladdr")) << unanswered;
}

}  // namespace
}  // namespace vx::agent
