// NetlinkDataplane::isolate against the real kernel. IsolationRulesTest works in one namespace
// holding bridges br-a, br-b and br-c, and reads the rules back with `ip -d rule show`, the tool
// users troubleshoot with (it prints "[detached]" for a rule whose iif does not exist and
// "proto 118" for ours). IsolationTrafficTest is the proof that the rules isolate: a "host"
// namespace with two bridges routing between them (ip_forward=1) and two "container" namespaces,
// each attached to one bridge by a veth, default route via its bridge's address; pings go from
// container to container, and to their own gateway, before and after isolate().
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "agent/dataplane/netlink_dataplane.h"
#include "dataplane/test_netns.h"

namespace vx::agent {
namespace {

using test::sh;
using test::TestNetns;
using test::why;

Cidr cidr(const char* text) { return *Cidr::parse(text); }

// A rule as `ip -d rule show` prints it, with the priority's tab turned into a space.
std::string our_rule(const std::string& iif, const std::string& dst, bool detached = false) {
  return "100: from all to " + dst + " iif " + iif + (detached ? " [detached]" : "") + " prohibit proto 118";
}

std::vector<std::string> sorted(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

// Drops CAP_NET_ADMIN from the calling thread's effective set; capabilities belong to threads, so
// the rest of the test process keeps it.
bool drop_net_admin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
  return syscall(SYS_capset, &header, data) == 0;
}

class IsolationRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ns_.created()) << "cannot create network namespace " << ns_.name();
    for (const char* bridge : {"br-a", "br-b", "br-c"}) {
      sh(ns_, std::string("ip link add ") + bridge + " type bridge && ip link set " + bridge + " up");
    }
  }

  // Every rule but the kernel's three defaults, sorted.
  std::vector<std::string> rules() {
    std::vector<std::string> lines;
    std::istringstream output(sh(ns_, "ip -d -4 rule show"));
    for (std::string line; std::getline(output, line);) {
      std::replace(line.begin(), line.end(), '\t', ' ');
      while (!line.empty() && line.back() == ' ') line.pop_back();
      if (line == "0: from all lookup local proto kernel" || line == "32766: from all lookup main proto kernel" ||
          line == "32767: from all lookup default proto kernel") {
        continue;
      }
      lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  Status isolate(const std::vector<IsolatedNetwork>& networks) {
    return ns_.run([&] { return dp_.isolate(networks); });
  }

  const IsolatedNetwork a_{"br-a", cidr("172.20.0.0/16")};
  const IsolatedNetwork b_{"br-b", cidr("10.30.0.0/24")};
  const IsolatedNetwork c_{"br-c", cidr("10.31.0.0/24")};
  TestNetns ns_{"isorules"};
  NetlinkDataplane dp_;
};

TEST_F(IsolationRulesTest, TwoNetworksGetOneRuleEachWay) {
  auto done = isolate({a_, b_});
  ASSERT_TRUE(done) << why(done);
  EXPECT_EQ(rules(), sorted({our_rule("br-b", "172.20.0.0/16"), our_rule("br-a", "10.30.0.0/24")}));
}

TEST_F(IsolationRulesTest, IsolateIsIdempotent) {
  ASSERT_TRUE(isolate({a_, b_, c_}));
  auto first = rules();
  ASSERT_EQ(first.size(), 6u) << testing::PrintToString(first);
  for (int i = 0; i < 2; ++i) {
    auto again = isolate({c_, a_, b_});  // another order is the same set
    ASSERT_TRUE(again) << why(again);
    EXPECT_EQ(rules(), first);
  }
}

TEST_F(IsolationRulesTest, RemovingANetworkRemovesItsRules) {
  ASSERT_TRUE(isolate({a_, b_, c_}));
  auto done = isolate({a_, c_});
  ASSERT_TRUE(done) << why(done);
  EXPECT_EQ(rules(), sorted({our_rule("br-c", "172.20.0.0/16"), our_rule("br-a", "10.31.0.0/24")}));

  done = isolate({a_});  // one network has no other to be kept from
  ASSERT_TRUE(done) << why(done);
  EXPECT_TRUE(rules().empty()) << testing::PrintToString(rules());

  ASSERT_TRUE(isolate({a_, b_}));
  done = isolate({});
  ASSERT_TRUE(done) << why(done);
  EXPECT_TRUE(rules().empty()) << testing::PrintToString(rules());
}

TEST_F(IsolationRulesTest, OperatorRulesAreLeftAlone) {
  // Same priority and shape as ours without our protocol (twice: one is exactly a rule we want),
  // our protocol at another priority, another protocol at ours, and an ordinary lookup rule.
  for (const char* rule : {"iif br-a to 10.30.0.0/24 prohibit pref 100", "iif br-a to 10.99.0.0/24 prohibit pref 100",
                           "iif br-a to 10.30.0.0/24 prohibit pref 101 protocol 118",
                           "iif br-a to 10.98.0.0/24 prohibit pref 100 protocol static",
                           "from 10.30.0.0/24 lookup 200 pref 100"}) {
    sh(ns_, std::string("ip rule add ") + rule);
  }
  auto operators = rules();
  ASSERT_EQ(operators.size(), 5u) << testing::PrintToString(operators);

  auto done = isolate({a_, b_});
  ASSERT_TRUE(done) << why(done);
  auto expected = operators;
  expected.push_back(our_rule("br-b", "172.20.0.0/16"));
  expected.push_back(our_rule("br-a", "10.30.0.0/24"));
  EXPECT_EQ(rules(), sorted(expected));

  done = isolate({});
  ASSERT_TRUE(done) << why(done);
  EXPECT_EQ(rules(), operators);
}

TEST_F(IsolationRulesTest, RulesOfOursInAnotherShapeAreReplaced) {
  sh(ns_, "ip rule add iif br-a to 10.30.0.0/24 blackhole pref 100 protocol 118");
  sh(ns_, "ip rule add iif br-a to 10.30.0.0/24 oif br-b prohibit pref 100 protocol 118");
  sh(ns_, "ip rule add iif br-c to 10.31.0.0/24 prohibit pref 100 protocol 118");  // no longer wanted
  auto done = isolate({a_, b_});
  ASSERT_TRUE(done) << why(done);
  EXPECT_EQ(rules(), sorted({our_rule("br-b", "172.20.0.0/16"), our_rule("br-a", "10.30.0.0/24")}));
}

TEST_F(IsolationRulesTest, BridgesThatDoNotExistYetOrAnyMore) {
  IsolatedNetwork later{"br-later", cidr("10.40.0.0/24")};
  auto done = isolate({a_, later});
  ASSERT_TRUE(done) << why(done);
  EXPECT_EQ(rules(), sorted({our_rule("br-later", "172.20.0.0/16", true),
                                               our_rule("br-a", "10.40.0.0/24")}));

  // The kernel applies the waiting rule once the bridge appears; nothing to redo.
  sh(ns_, "ip link add br-later type bridge");
  EXPECT_EQ(rules(), sorted({our_rule("br-later", "172.20.0.0/16"), our_rule("br-a", "10.40.0.0/24")}));
  ASSERT_TRUE(isolate({a_, later}));
  EXPECT_EQ(rules().size(), 2u) << testing::PrintToString(rules());

  // A bridge that goes away leaves its rule detached; it stays while wanted, and goes when not.
  sh(ns_, "ip link delete br-later");
  done = isolate({a_, later});
  ASSERT_TRUE(done) << why(done);
  EXPECT_EQ(rules(), sorted({our_rule("br-later", "172.20.0.0/16", true),
                                               our_rule("br-a", "10.40.0.0/24")}));
  done = isolate({a_, b_});
  ASSERT_TRUE(done) << why(done);
  EXPECT_EQ(rules(), sorted({our_rule("br-b", "172.20.0.0/16"), our_rule("br-a", "10.30.0.0/24")}));
}

TEST_F(IsolationRulesTest, NetworksSharingABridgeNeedNoRuleBetweenThem) {
  IsolatedNetwork a_too{"br-a", cidr("172.21.0.0/16")};
  auto done = isolate({a_, a_too, b_, b_});
  ASSERT_TRUE(done) << why(done);
  EXPECT_EQ(rules(), sorted({our_rule("br-b", "172.20.0.0/16"), our_rule("br-b", "172.21.0.0/16"),
                                               our_rule("br-a", "10.30.0.0/24")}));
}

TEST_F(IsolationRulesTest, BridgeNamesThatCannotBeDevicesAreBadInput) {
  ASSERT_TRUE(isolate({a_, b_}));
  auto before = rules();
  for (const char* name : {"", "a-name-of-16-chr"}) {
    auto done = isolate({a_, {name, cidr("10.50.0.0/24")}});
    ASSERT_FALSE(done) << "'" << name << "'";
    EXPECT_EQ(done.error().kind, ErrorKind::kBadInput);
    EXPECT_EQ(done.error().code, "invalid_device");
  }
  EXPECT_EQ(rules(), before) << "a rejected list changes nothing";
}

TEST_F(IsolationRulesTest, KernelRefusalIsUnavailableWithTheReason) {
  auto done = ns_.run([&]() -> Status {
    if (!drop_net_admin()) return internal("capset_failed", std::strerror(errno));
    return dp_.isolate({a_, b_});
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::kUnavailable) << why(done);
  EXPECT_EQ(done.error().code, "netlink_error");
  EXPECT_EQ(done.error().detail.rfind("adding routing rule iif br-", 0), 0u) << done.error().detail;
  EXPECT_NE(done.error().detail.find("not permitted"), std::string::npos) << done.error().detail;
  EXPECT_TRUE(rules().empty()) << testing::PrintToString(rules());
}

// The host and its two containers, set up as Docker sets up bridge networks with --iptables=false.
class IsolationTrafficTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const TestNetns* ns : {&host_, &c1_, &c2_}) {
      ASSERT_TRUE(ns->created()) << "cannot create network namespace " << ns->name();
      ASSERT_EQ(ns->exec("ip link set lo up").status, 0);
    }
    ASSERT_NO_FATAL_FAILURE(step(host_, "sysctl -qw net.ipv4.ip_forward=1"));
    ASSERT_NO_FATAL_FAILURE(attach(c1_, "br-vxlan", "172.20.0.1", "172.20.0.2", 16, "vh1"));
    ASSERT_NO_FATAL_FAILURE(attach(c2_, "br-vx4097", "10.30.0.1", "10.30.0.2", 24, "vh2"));
  }

  void step(const TestNetns& ns, const std::string& command) {
    auto result = ns.exec(command);
    ASSERT_EQ(result.status, 0) << ns.name() << ": " << command << ": " << result.output;
  }

  // A bridge holding `gateway`, and the container's eth0 (`address`) on it through veth `port`.
  void attach(const TestNetns& container, const std::string& bridge, const std::string& gateway,
              const std::string& address, int prefix, const std::string& port) {
    std::string len = "/" + std::to_string(prefix);
    for (const std::string& command :
         {"ip link add " + bridge + " type bridge", "ip addr add " + gateway + len + " dev " + bridge,
          "ip link set " + bridge + " up", "ip link add " + port + " type veth peer name eth0 netns " + container.name(),
          "ip link set " + port + " master " + bridge + " up"}) {
      ASSERT_NO_FATAL_FAILURE(step(host_, command));
    }
    for (const std::string& command : {"ip addr add " + address + len + " dev eth0", std::string("ip link set eth0 up"),
                                       "ip route add default via " + gateway}) {
      ASSERT_NO_FATAL_FAILURE(step(container, command));
    }
  }

  // Whether an echo from `from` to `to` is answered; a few tries, since the first may wait for ARP.
  static bool answered(const TestNetns& from, const std::string& to, std::string* output = nullptr) {
    test::CommandResult result;
    for (int attempt = 0; attempt < 3; ++attempt) {
      result = from.exec("ping -n -c 1 -W 1 " + to);
      if (result.status == 0) break;
    }
    if (output) *output = result.output;
    return result.status == 0;
  }

  // Whether one echo from `from` to `to` is refused by the host: ICMP "administratively
  // prohibited", which ping prints as "Packet filtered". One echo only: the kernel rate-limits
  // these errors per sender, and a quick second echo might just go unanswered.
  static bool refused(const TestNetns& from, const std::string& to, std::string* output) {
    auto result = from.exec("ping -n -c 1 -W 2 " + to);
    *output = result.output;
    return result.status != 0 && result.output.find("Packet filtered") != std::string::npos;
  }

  Status isolate(const std::vector<IsolatedNetwork>& networks) {
    return host_.run([&] { return dp_.isolate(networks); });
  }

  TestNetns host_{"isohost"};
  TestNetns c1_{"isoc1"};
  TestNetns c2_{"isoc2"};
  NetlinkDataplane dp_;
};

TEST_F(IsolationTrafficTest, RulesStopRoutingBetweenNetworksOnly) {
  std::string output;
  ASSERT_TRUE(answered(c1_, "10.30.0.2", &output)) << "the host routes between its bridges:\n" << output;
  ASSERT_TRUE(answered(c2_, "172.20.0.2", &output)) << output;

  auto done = isolate({{"br-vxlan", cidr("172.20.0.0/16")}, {"br-vx4097", cidr("10.30.0.0/24")}});
  ASSERT_TRUE(done) << why(done);
  // The sender learns at once: the host answers with ICMP "administratively prohibited".
  EXPECT_TRUE(refused(c1_, "10.30.0.2", &output)) << output;
  EXPECT_TRUE(refused(c2_, "172.20.0.2", &output)) << output;
  EXPECT_FALSE(answered(c1_, "10.30.0.2", &output)) << output;
  EXPECT_TRUE(answered(c1_, "172.20.0.1", &output)) << "its own gateway still answers:\n" << output;
  EXPECT_TRUE(answered(c2_, "10.30.0.1", &output)) << output;

  done = isolate({});
  ASSERT_TRUE(done) << why(done);
  EXPECT_TRUE(answered(c1_, "10.30.0.2", &output)) << "routing is back:\n" << output;
  EXPECT_TRUE(answered(c2_, "172.20.0.2", &output)) << output;
}

}  // namespace
}  // namespace vx::agent
