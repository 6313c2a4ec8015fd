// NetlinkSandboxes against the real kernel. Namespace vsh stands for a host, with a bridge br-t at
// 10.96.0.1/24; vsc for a container's namespace, as a runtime makes it. Checked: attach makes the
// pair, inside (name, MAC, address, MTU, default route, loopback up) and out (on the bridge, up,
// labelled), and the container reaches the bridge; without the default route when one is there; check sees a change made behind its back;
// detach takes both ends away and is idempotent; a taken name, a namespace that is gone and the
// host's own namespace, and a file that is no network namespace (a FIFO among them, which must not
// hang the agent) are refused, leaving nothing behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "agent/sandbox/netlink_sandboxes.h"
#include "dataplane/test_netns.h"

namespace vx::agent {
namespace {

using test::sh;
using test::TestNetns;
using test::why;

class NetlinkSandboxesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(host.created() && container.created());
    sh(host, "ip link add br-t type bridge && ip addr add 10.96.0.1/24 dev br-t && ip link set br-t up");
  }

  VethSpec spec() const {
    return {"/run/netns/" + container.name(), "eth0", "vxctest0", "vxlan-cni vxlan-net pod1", "02:11:22:33:44:55",
            *Ipv4::parse("10.96.0.5"), 24, *Ipv4::parse("10.96.0.1"), 1400, "br-t"};
  }
  Status attach(const VethSpec& wanted) {
    return host.run([&] { return sandboxes.attach(wanted); });
  }

  TestNetns host{"vsh"};
  TestNetns container{"vsc"};
  NetlinkSandboxes sandboxes;
};

TEST_F(NetlinkSandboxesTest, AttachMakesThePairInsideAndOut) {
  Status attached = attach(spec());
  ASSERT_TRUE(attached.ok()) << why(attached);
  std::string inside = sh(container, "ip -o link show eth0");
  EXPECT_NE(inside.find("02:11:22:33:44:55"), std::string::npos) << inside;
  EXPECT_NE(inside.find("mtu 1400"), std::string::npos) << inside;
  EXPECT_NE(inside.find("state UP"), std::string::npos) << inside;
  EXPECT_NE(sh(container, "ip -o addr show eth0").find("10.96.0.5/24"), std::string::npos);
  EXPECT_NE(sh(container, "ip route show default").find("default via 10.96.0.1 dev eth0"), std::string::npos);
  EXPECT_NE(sh(container, "ip -o link show lo").find("UP"), std::string::npos);
  std::string outside = sh(host, "ip -d link show vxctest0");
  EXPECT_NE(outside.find("master br-t"), std::string::npos) << outside;
  EXPECT_NE(outside.find("alias vxlan-cni vxlan-net pod1"), std::string::npos) << outside;
  EXPECT_EQ(container.exec("ping -c 1 -W 2 10.96.0.1").status, 0) << "the container reaches its gateway";

  auto ends = host.run([&] { return sandboxes.host_ends("vxlan-cni "); });
  ASSERT_TRUE(ends.ok()) << why(ends);
  ASSERT_EQ(ends->size(), 1u);
  EXPECT_EQ((*ends)[0].host_interface, "vxctest0");
  EXPECT_EQ((*ends)[0].label, "vxlan-cni vxlan-net pod1");
  EXPECT_EQ((*ends)[0].address.to_string(), "10.96.0.5");  // kept in the host end's group
  EXPECT_NE(outside.find("group " + std::to_string(Ipv4::parse("10.96.0.5")->value())), std::string::npos) << outside;
  EXPECT_TRUE(host.run([&] { return sandboxes.check(spec()); }).ok());
}

// A plugin before ours in a chain routed the namespace by default: ours must add no second one,
// which the kernel refuses, and still reach its gateway on the subnet's own route.
TEST_F(NetlinkSandboxesTest, AttachWithoutADefaultRouteLeavesTheNamespacesOwn) {
  sh(container, "ip link add first0 type veth peer name first1 && ip addr add 10.97.0.5/24 dev first0"
                " && ip link set first1 up && ip link set first0 up"
                " && ip route add default via 10.97.0.1 dev first0");
  VethSpec second = spec();
  second.default_route = false;
  Status attached = attach(second);
  ASSERT_TRUE(attached.ok()) << why(attached);
  std::string routes = sh(container, "ip route show default");
  EXPECT_NE(routes.find("default via 10.97.0.1 dev first0"), std::string::npos) << routes;
  EXPECT_EQ(routes.find("10.96.0.1"), std::string::npos) << routes;
  EXPECT_EQ(container.exec("ping -c 1 -W 2 10.96.0.1").status, 0) << "the container reaches its gateway";
  EXPECT_TRUE(host.run([&] { return sandboxes.check(second); }).ok());
}

// Found by a hostile run: unchained into such a namespace, the refused second default route was
// kUnavailable, which CNI answers as "try again later" (code 11): a runtime would retry for good.
TEST_F(NetlinkSandboxesTest, AttachIntoANamespaceThatRoutesByDefaultIsRefusedForGood) {
  sh(container, "ip link add first0 type veth peer name first1 && ip addr add 10.97.0.5/24 dev first0"
                " && ip link set first1 up && ip link set first0 up"
                " && ip route add default via 10.97.0.1 dev first0");
  Status attached = attach(spec());
  ASSERT_FALSE(attached.ok());
  EXPECT_EQ(attached.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(attached.error().code, "default_route_exists");
  EXPECT_NE(container.exec("ip link show eth0").status, 0) << "nothing is left behind";
  EXPECT_NE(host.exec("ip link show vxctest0").status, 0);
}

TEST_F(NetlinkSandboxesTest, CheckSeesAChangeBehindItsBack) {
  ASSERT_TRUE(attach(spec()).ok());
  sh(container, "ip addr flush dev eth0");
  Status checked = host.run([&] { return sandboxes.check(spec()); });
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code, "attachment_broken");
  EXPECT_NE(checked.error().detail.find("10.96.0.5"), std::string::npos) << checked.error().detail;
}

TEST_F(NetlinkSandboxesTest, DetachTakesBothEndsAwayAndIsIdempotent) {
  ASSERT_TRUE(attach(spec()).ok());
  ASSERT_TRUE(host.run([&] { return sandboxes.detach("vxctest0"); }).ok());
  EXPECT_NE(host.exec("ip link show vxctest0").status, 0);
  EXPECT_NE(container.exec("ip link show eth0").status, 0);
  EXPECT_TRUE(host.run([&] { return sandboxes.detach("vxctest0"); }).ok());
}

TEST_F(NetlinkSandboxesTest, RefusalsLeaveNothingBehind) {
  sh(container, "ip link add eth0 type bridge");
  Status taken = attach(spec());
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, "interface_exists") << why(taken);
  EXPECT_NE(host.exec("ip link show vxctest0").status, 0);

  VethSpec gone = spec();
  gone.netns = "/run/netns/vsc-no-such-namespace";
  Status unknown = attach(gone);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "unknown_netns");

  for (std::string not_netns : {"/etc/hostname", "/run/netns"}) {
    VethSpec other = spec();
    other.netns = not_netns;
    Status refused_file = attach(other);
    ASSERT_FALSE(refused_file.ok()) << not_netns;
    EXPECT_EQ(refused_file.error().code, "unknown_netns") << not_netns;
  }
  // What is not a namespace's file is never opened: a writer waiting for a reader of this FIFO
  // would be let through by an open, and stays waiting.
  ::unlink("/tmp/vsc-fifo");
  ASSERT_EQ(::mkfifo("/tmp/vsc-fifo", 0600), 0);
  std::atomic<bool> writer_through{false};
  std::thread writer([&] {
    int fd = ::open("/tmp/vsc-fifo", O_WRONLY);
    writer_through = true;
    if (fd >= 0) ::close(fd);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the writer waits in open()
  VethSpec fifo = spec();
  fifo.netns = "/tmp/vsc-fifo";
  Status refused_fifo = attach(fifo);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(writer_through) << "the FIFO was opened";
  int release = ::open("/tmp/vsc-fifo", O_RDONLY | O_NONBLOCK);  // lets the writer go
  writer.join();
  if (release >= 0) ::close(release);
  ::unlink("/tmp/vsc-fifo");
  ASSERT_FALSE(refused_fifo.ok());
  EXPECT_EQ(refused_fifo.error().code, "unknown_netns");

  VethSpec own = spec();
  own.netns = "/run/netns/" + host.name();
  Status refused = attach(own);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "own_netns");
  EXPECT_NE(host.exec("ip link show vxctest0").status, 0);
  EXPECT_NE(host.exec("ip link show eth0").status, 0);

  VethSpec no_bridge = spec();
  no_bridge.ifname = "eth1";
  no_bridge.bridge = "br-none";
  Status unbridged = attach(no_bridge);
  ASSERT_FALSE(unbridged.ok());
  EXPECT_NE(host.exec("ip link show vxctest0").status, 0) << "the pair is taken away again";
  EXPECT_NE(container.exec("ip link show eth1").status, 0);
}

}  // namespace
}  // namespace vx::agent
