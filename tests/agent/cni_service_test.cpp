// The agent's side of CNI attachments (agent/cni/cni_service.h) on fakes: what is held at the IPAM
// and made in the kernel for an ADD, an ADD repeated, an ADD that fails half-way, DEL (also of an
// ADD that crashed before its pair), GC, and the names the orphan check must leave alone.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/cni/cni_service.h"
#include "fakes.h"

namespace vx::agent {
namespace {

using fakes::FakeSandboxes;
using fakes::run;
using fakes::TestHost;

class CniServiceTest : public ::testing::Test {
 protected:
  Result<proto::cni::Attachment> add(const std::string& id, const std::string& name, const std::string& ifname = "eth0",
                                     const std::string& config = "overlay") {
    proto::cni::AttachRequest request{"/run/netns/" + id, "vxlan-net", name, config};
    return run(service.add(id, ifname, request));
  }

  TestHost host;
  FakeSandboxes sandboxes;
  CniService service{host.self, host.ipam, host.networks, sandboxes};
};

TEST_F(CniServiceTest, AnAddHoldsTheAddressRecordsTheMacAndMakesThePair) {
  auto attached = add("c0ffee00", "pod1");
  ASSERT_TRUE(attached.ok()) << attached.error().detail;
  const proto::Endpoint& held = host.ipam.names.at("pod1");
  EXPECT_EQ(held.host_id, host.self.host_id);
  EXPECT_EQ(held.ip_address, attached->address);
  EXPECT_EQ(held.mac_address, attached->mac);
  EXPECT_EQ(attached->mac, CniService::mac_of("c0ffee00", "eth0"));
  EXPECT_EQ(attached->gateway, host.networks.find("vxlan-net")->gateway);
  EXPECT_EQ(attached->prefix_length, 16);
  ASSERT_EQ(sandboxes.pairs.count(attached->host_interface), 1u);
  const VethSpec& pair = sandboxes.pairs.at(attached->host_interface);
  EXPECT_EQ(pair.netns, "/run/netns/c0ffee00");
  EXPECT_EQ(pair.ifname, "eth0");
  EXPECT_EQ(pair.address.to_string(), attached->address);
  EXPECT_EQ(pair.bridge, host.self.bridge);
  EXPECT_EQ(attached->host_interface.size(), 15u);
}

TEST_F(CniServiceTest, TheSameAddAgainAnswersTheSameAttachment) {
  auto first = add("c0ffee00", "pod1");
  auto again = add("c0ffee00", "pod1");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->address, first->address);
  EXPECT_EQ(sandboxes.pairs.size(), 1u);
  EXPECT_EQ(host.ipam.names.size(), 2u);  // the gateway and pod1
}

TEST_F(CniServiceTest, ANameAnotherContainerHoldsIsRefusedAndLeftAlone) {
  host.ipam.hold("web", "host2");
  host.ipam.hold("local", host.self.host_id, "02:42:ac:14:00:09");
  for (const char* name : {"web", "local"}) {
    auto refused = add("c0ffee00", name);
    ASSERT_FALSE(refused.ok()) << name;
    EXPECT_EQ(refused.error().code, "name_conflict") << name;
  }
  EXPECT_EQ(host.ipam.names.at("local").mac_address, "02:42:ac:14:00:09");
  EXPECT_EQ(host.ipam.names.at("web").host_id, "host2");
  EXPECT_TRUE(sandboxes.pairs.empty());
}

TEST_F(CniServiceTest, AnAddWhosePairFailsHoldsNothing) {
  sandboxes.attach_fails = not_found("unknown_netns", "gone");
  auto failed = add("c0ffee00", "pod1");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "unknown_netns");
  EXPECT_EQ(host.ipam.names.count("pod1"), 0u);
  EXPECT_TRUE(service.held()->empty());
}

// An ADD repeated for a live attachment, or after one that crashed, finds the name held with its
// MAC: if its pair then fails, the name it did not make stays.
TEST_F(CniServiceTest, AnAddThatFailsLeavesANameItFoundHeld) {
  host.ipam.hold("pod1", host.self.host_id, CniService::mac_of("c0ffee00", "eth0"));
  sandboxes.attach_fails = conflict("interface_exists", "eth0 exists");
  ASSERT_FALSE(add("c0ffee00", "pod1").ok());
  EXPECT_EQ(host.ipam.names.count("pod1"), 1u);
}

// A DEL while the ADD of that name waits on the IPAM: the runtime is told to try again, and the
// ADD finishes with its name and pair.
TEST_F(CniServiceTest, ADelDuringItsAddIsTryAgainLater) {
  boost::asio::io_context io;
  host.ipam.allocate_gate = std::make_shared<boost::asio::steady_timer>(io, std::chrono::hours(1));
  std::optional<Result<proto::cni::Attachment>> added;
  proto::cni::AttachRequest request{"/run/netns/c0ffee00", "vxlan-net", "pod1", "overlay"};
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { added.emplace(co_await service.add("c0ffee00", "eth0", request)); },
      boost::asio::detached);
  io.poll();
  ASSERT_FALSE(added) << "the add waits on the IPAM";
  std::optional<Status> deleted;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { deleted.emplace(co_await service.del("c0ffee00", "eth0", "pod1")); },
      boost::asio::detached);
  io.poll();
  ASSERT_TRUE(deleted);
  ASSERT_FALSE(deleted->ok());
  EXPECT_EQ(deleted->error().kind, ErrorKind::kUnavailable);
  host.ipam.allocate_gate->cancel();
  io.run();
  host.ipam.allocate_gate.reset();  // its timer must go before the io_context it runs on
  ASSERT_TRUE(added && added->ok());
  EXPECT_EQ(host.ipam.names.count("pod1"), 1u);
  EXPECT_EQ(sandboxes.pairs.size(), 1u);
}

TEST_F(CniServiceTest, TheAgentsOwnNamesAreRefused) {
  for (std::string name : {host.self.gateway_name(), std::string("vxlan-docker.host1.0123456789abcdef")}) {
    auto refused = add("c0ffee00", name);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "reserved_name");
  }
}

TEST_F(CniServiceTest, DelReleasesAndIsIdempotent) {
  auto attached = add("c0ffee00", "pod1");
  ASSERT_TRUE(attached.ok());
  EXPECT_TRUE(run(service.del("c0ffee00", "eth0", "pod1")).ok());
  EXPECT_EQ(host.ipam.names.count("pod1"), 0u);
  EXPECT_TRUE(sandboxes.pairs.empty());
  EXPECT_TRUE(run(service.del("c0ffee00", "eth0", "pod1")).ok());
  EXPECT_TRUE(run(service.del("unknown", "eth0", "")).ok());
}

TEST_F(CniServiceTest, DelReleasesAnAddThatCrashedBeforeItsPairButNeverAnotherContainersName) {
  host.ipam.hold("pod1", host.self.host_id, CniService::mac_of("c0ffee00", "eth0"));
  host.ipam.hold("web", host.self.host_id, "02:42:ac:14:00:09");
  EXPECT_TRUE(run(service.del("c0ffee00", "eth0", "pod1")).ok());
  EXPECT_EQ(host.ipam.names.count("pod1"), 0u);
  EXPECT_TRUE(run(service.del("c0ffee00", "eth0", "web")).ok());
  EXPECT_EQ(host.ipam.names.count("web"), 1u);
}

TEST_F(CniServiceTest, CheckComparesTheRegistryAndTheKernel) {
  auto attached = add("c0ffee00", "pod1");
  ASSERT_TRUE(attached.ok());
  EXPECT_TRUE(run(service.check("c0ffee00", "eth0", "/run/netns/c0ffee00")).ok());
  host.ipam.names.at("pod1").mac_address = "02:00:00:00:00:01";
  auto broken = run(service.check("c0ffee00", "eth0", "/run/netns/c0ffee00"));
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, "attachment_broken");
  auto unknown = run(service.check("other", "eth0", "/run/netns/other"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "unknown_attachment");
}

// Two runtimes (or two configurations of one) may attach to the same cluster network: each one's GC
// lists its own attachments only, and must not take the other's.
TEST_F(CniServiceTest, GcReleasesWhatTheRuntimeNoLongerListsOfItsConfigurationOnly) {
  ASSERT_TRUE(add("keep1", "pod1").ok());
  ASSERT_TRUE(add("drop1", "pod2").ok());
  ASSERT_TRUE(add("theirs1", "pod3", "eth0", "other-runtime").ok());
  proto::cni::GcRequest request{"overlay", {{"keep1", "eth0"}}};
  auto released = run(service.gc(request));
  ASSERT_TRUE(released.ok()) << released.error().detail;
  EXPECT_EQ(*released, std::vector<std::string>{"pod2"});
  EXPECT_EQ(host.ipam.names.count("pod1"), 1u);
  EXPECT_EQ(host.ipam.names.count("pod2"), 0u);
  EXPECT_EQ(host.ipam.names.count("pod3"), 1u);
  EXPECT_EQ(sandboxes.pairs.size(), 2u);
}

// The stale pair goes; the name, which another container on this host holds by now (its MAC), stays.
TEST_F(CniServiceTest, GcLeavesANameThatPassedToAnotherContainer) {
  ASSERT_TRUE(add("drop1", "pod2").ok());
  host.ipam.names.at("pod2").mac_address = "02:42:ac:14:00:09";
  auto released = run(service.gc({"overlay", {}}));
  ASSERT_TRUE(released.ok()) << released.error().detail;
  EXPECT_TRUE(sandboxes.pairs.empty());
  EXPECT_EQ(host.ipam.names.at("pod2").mac_address, "02:42:ac:14:00:09");
}

// Pairs made before labels named their configuration and MAC stay visible (no orphan check takes
// their names) but no GC can judge them.
TEST_F(CniServiceTest, AnAttachmentLabelledTheOldWayIsHeldAndNotCollected) {
  ASSERT_TRUE(add("old1", "pod1").ok());
  VethSpec& pair = sandboxes.pairs.begin()->second;
  pair.label = "vxlan-cni vxlan-net pod1";
  EXPECT_EQ(*service.held(), std::set<std::string>{"pod1"});
  EXPECT_TRUE(run(service.gc({"overlay", {}}))->empty());
  EXPECT_EQ(sandboxes.pairs.size(), 1u);
  EXPECT_TRUE(run(service.check("old1", "eth0", "/run/netns/old1")).ok());
}

TEST_F(CniServiceTest, HeldListsWhatTheKernelHoldsSoThatNoOrphanCheckTakesIt) {
  ASSERT_TRUE(add("c0ffee00", "pod1").ok());
  auto held = service.held();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, std::set<std::string>{"pod1"});
  sandboxes.pairs.clear();  // the namespace was deleted without a DEL
  EXPECT_TRUE(service.held()->empty());
}

TEST_F(CniServiceTest, NamesOfTheKernelAreStableAndDistinct) {
  EXPECT_EQ(CniService::host_interface_of("abc", "eth0"), CniService::host_interface_of("abc", "eth0"));
  EXPECT_NE(CniService::host_interface_of("abc", "eth0"), CniService::host_interface_of("abc", "eth1"));
  EXPECT_NE(CniService::mac_of("abc", "eth0"), CniService::mac_of("abd", "eth0"));
  EXPECT_EQ(CniService::mac_of("abc", "eth0").substr(0, 3), "02:");
  EXPECT_NE(CniService::mac_of("abc", "eth0").substr(0, 6), "02:42:");
}

}  // namespace
}  // namespace vx::agent
