// The gratuitous ARP against real kernels: namespace vga sends it on its end of a veth pair to vgb,
// whose ARP cache holds the address at an old MAC. Checked: the entry moves to the announced MAC,
// an address the cache lacks gets no entry, and a device that does not exist is unknown_device.
#include <gtest/gtest.h>

#include "agent/dataplane/gratuitous_arp.h"
#include "dataplane/test_netns.h"

namespace vx::agent {
namespace {

using test::sh;
using test::TestNetns;
using test::why;

class GratuitousArpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sender.created() && receiver.created());
    sh(sender, "ip link add ga0 type veth peer name gb0 netns " + receiver.name() +
                   " && ip addr add 10.95.0.1/24 dev ga0 && ip link set ga0 up");
    sh(receiver, "ip addr add 10.95.0.2/24 dev gb0 && ip link set gb0 up"
                 " && ip neigh replace 10.95.0.9 lladdr 02:00:00:00:00:01 dev gb0 nud reachable");
  }
  Status announce(const std::string& device, const std::string& ip, const std::string& mac) {
    return sender.run([&] { return send_gratuitous_arp(device, *Ipv4::parse(ip), mac); });
  }

  TestNetns sender{"vga"};
  TestNetns receiver{"vgb"};
};

TEST_F(GratuitousArpTest, AnEntryMovesToTheAnnouncedMac) {
  Status sent = announce("ga0", "10.95.0.9", "02:11:22:33:44:55");
  ASSERT_TRUE(sent.ok()) << why(sent);
  std::string entry;
  for (int i = 0; i < 50; ++i) {
    entry = sh(receiver, "ip neigh show 10.95.0.9 dev gb0");
    if (entry.find("02:11:22:33:44:55") != std::string::npos) break;
    usleep(20000);
  }
  EXPECT_NE(entry.find("lladdr 02:11:22:33:44:55"), std::string::npos) << entry;
}

TEST_F(GratuitousArpTest, AnAddressTheCacheLacksGetsNoEntry) {
  ASSERT_TRUE(announce("ga0", "10.95.0.10", "02:11:22:33:44:56").ok());
  usleep(200000);
  EXPECT_EQ(sh(receiver, "ip neigh show 10.95.0.10 dev gb0"), "");
}

TEST_F(GratuitousArpTest, AnUnknownDeviceOrMacIsRefused) {
  Status unknown = announce("nosuch0", "10.95.0.9", "02:11:22:33:44:55");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "unknown_device");
  Status bad = announce("ga0", "10.95.0.9", "not-a-mac");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "invalid_mac");
}

}  // namespace
}  // namespace vx::agent
