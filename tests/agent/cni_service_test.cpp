// The agent's side of CNI attachments (agent/cni/cni_service.h) on fakes: what is held at the IPAM
// and made in the kernel for an ADD, an ADD repeated, an ADD that fails half-way, DEL (also of an
// ADD that crashed before its pair), GC, and the names the orphan check must leave alone.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/cni/cni_service.h"
#include "agent/container_service.h"
#include "agent/reconciler.h"
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
  CniService service{host.self, host.ipam, host.networks, sandboxes, host.claims, host.runtime};
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
  EXPECT_TRUE(pair.default_route);
  EXPECT_EQ(attached->host_interface.size(), 15u);
}

// Chained after a plugin that routes by default, the namespace must not get a second default route.
TEST_F(CniServiceTest, AnAddAskedForNoDefaultRouteMakesAPairWithout) {
  proto::cni::AttachRequest request{"/run/netns/c0ffee00", "vxlan-net", "pod1", "overlay", false};
  auto attached = run(service.add("c0ffee00", "eth1", request));
  ASSERT_TRUE(attached.ok()) << attached.error().detail;
  EXPECT_FALSE(sandboxes.pairs.at(attached->host_interface).default_route);
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

// Found by review: an agent killed between reserving a name and recording its MAC left a name that
// every later ADD of the pod was refused, until the orphan check released it.
TEST_F(CniServiceTest, AnAddTakesOverAReservationThatAnAddLeftWithoutAMac) {
  const std::string left = host.ipam.hold("pod1", host.self.host_id).ip_address;
  auto attached = add("c0ffee00", "pod1");
  ASSERT_TRUE(attached.ok()) << attached.error().detail;
  EXPECT_EQ(attached->address, left);
  EXPECT_EQ(host.ipam.names.at("pod1").mac_address, attached->mac);
  EXPECT_EQ(sandboxes.pairs.size(), 1u);
}

// A Docker container records its MAC only once it runs: its name is not an add's to take over.
TEST_F(CniServiceTest, AReservationWithoutAMacThatDockerHoldsIsRefused) {
  host.ipam.hold("web", host.self.host_id);
  host.runtime.add_container("web", {{kManagedLabel, "true"}});
  auto refused = add("c0ffee00", "web");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "name_conflict");
  EXPECT_EQ(host.ipam.names.at("web").mac_address, "");
  EXPECT_TRUE(sandboxes.pairs.empty());
}

TEST_F(CniServiceTest, AnAddWhosePairFailsHoldsNothing) {
  sandboxes.attach_fails = not_found("unknown_netns", "gone");
  auto failed = add("c0ffee00", "pod1");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "unknown_netns");
  EXPECT_EQ(host.ipam.names.count("pod1"), 0u);
  EXPECT_TRUE(service.attached()->empty());
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

// Nothing else of this agent touches an attachment or its name while its add is under way: not
// a second add of the attachment under another name, nor an add of the name for another
// container, nor a container of that name.
TEST_F(CniServiceTest, NoOtherOperationRunsBesideAnAddOfItsAttachmentOrName) {
  boost::asio::io_context io;
  host.ipam.allocate_gate = std::make_shared<boost::asio::steady_timer>(io, std::chrono::hours(1));
  std::optional<Result<proto::cni::Attachment>> added, same_attachment, same_name;
  std::optional<Result<ManagedContainer>> container;
  proto::cni::AttachRequest request{"/run/netns/c0ffee00", "vxlan-net", "pod1", "overlay"};
  proto::cni::AttachRequest renamed{"/run/netns/c0ffee00", "vxlan-net", "pod2", "overlay"};
  proto::cni::AttachRequest other{"/run/netns/beef0000", "vxlan-net", "pod1", "overlay"};
  const std::string name = "pod1", image = "alpine", network = "vxlan-net";
  auto spawn = [&io](auto task) { boost::asio::co_spawn(io, std::move(task), boost::asio::detached); };
  spawn([&]() -> boost::asio::awaitable<void> { added.emplace(co_await service.add("c0ffee00", "eth0", request)); });
  io.poll();
  ASSERT_FALSE(added) << "the add waits on the IPAM";
  spawn([&]() -> boost::asio::awaitable<void> {
    same_attachment.emplace(co_await service.add("c0ffee00", "eth0", renamed));
  });
  spawn([&]() -> boost::asio::awaitable<void> { same_name.emplace(co_await service.add("beef0000", "eth0", other)); });
  spawn([&]() -> boost::asio::awaitable<void> { container.emplace(co_await host.service.create(name, image, network)); });
  io.poll();
  ASSERT_TRUE(same_attachment && same_name && container);
  EXPECT_EQ(same_attachment->error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(same_name->error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(container->error().code, "operation_in_progress");
  host.ipam.allocate_gate->cancel();
  io.run();
  host.ipam.allocate_gate.reset();  // its timer must go before the io_context it runs on
  ASSERT_TRUE(added && added->ok());
  EXPECT_EQ(host.ipam.names.count("pod2"), 0u);
  EXPECT_EQ(host.ipam.names.at("pod1").mac_address, CniService::mac_of("c0ffee00", "eth0"));
  EXPECT_EQ(sandboxes.pairs.size(), 1u);
  EXPECT_TRUE(host.runtime.containers.empty());
}

// A name an attachment holds is not a container create that died half-way, for the agent's
// containers to adopt, nor theirs to remove.
TEST_F(CniServiceTest, TheAgentsContainersLeaveAnAttachmentsNameAlone) {
  host.attached_here = [this](const std::string& name) { return service.holds(name); };
  ASSERT_TRUE(add("c0ffee00", "pod1").ok());
  auto created = run(host.service.create("pod1", "alpine", "vxlan-net"));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, "name_conflict");
  auto removed = run(host.service.remove("pod1"));
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().code, "not_managed");
  EXPECT_TRUE(host.runtime.containers.empty());
  EXPECT_EQ(host.ipam.names.at("pod1").mac_address, CniService::mac_of("c0ffee00", "eth0"));
}

// Released on condition of its MAC, in one call: no look first, which a name could pass on after.
TEST_F(CniServiceTest, ADelReleasesInOneCallOnConditionOfItsMac) {
  ASSERT_TRUE(add("c0ffee00", "pod1").ok());
  int looks = host.ipam.faults.calls("container");
  EXPECT_TRUE(run(service.del("c0ffee00", "eth0", "pod1")).ok());
  EXPECT_EQ(host.ipam.faults.calls("container"), looks);
  EXPECT_EQ(host.ipam.names.count("pod1"), 0u);
}

// The reconciler on the attachments as the agent wires it, with no grace for orphans.
class CniHousekeepingTest : public CniServiceTest {
 protected:
  static ReconcilerOptions options_for(CniService& service) {
    ReconcilerOptions options;
    options.orphan_grace = std::chrono::seconds(0);
    options.attachments = [&service] { return service.attached(); };
    return options;
  }
  Status housekeeping() { return run(reconciler.housekeeping()); }

  Reconciler reconciler{host.self, host.ipam, host.dataplane, host.runtime, host.networks, host.claims, options_for(service)};
};

// Found by review: after a Redis wipe only Docker's containers were reserved again, so an
// attachment's address could be handed to a new name while the pod still used it.
TEST_F(CniHousekeepingTest, AWipedRegistryGetsAnAttachmentBackAtItsAddressOnItsNetwork) {
  host.ipam.add_network("blue", "10.30.0.0/24", 4097);
  proto::cni::AttachRequest request{"/run/netns/c0ffee00", "blue", "pod1", "overlay"};
  auto attached = run(service.add("c0ffee00", "eth0", request));
  ASSERT_TRUE(attached.ok()) << attached.error().detail;
  host.ipam.names.clear();  // Redis wiped
  host.ipam.networks.erase("blue");
  Status kept = housekeeping();
  ASSERT_TRUE(kept.ok()) << kept.error().detail;
  ASSERT_EQ(host.ipam.created_networks.size(), 1u);
  EXPECT_EQ(host.ipam.created_networks.front().name, "blue");
  ASSERT_TRUE(host.ipam.names.count("pod1"));
  EXPECT_EQ(host.ipam.names.at("pod1").ip_address, attached->address);
  EXPECT_EQ(host.ipam.names.at("pod1").network, "blue");
  EXPECT_EQ(host.ipam.names.at("pod1").mac_address, attached->mac);
}

// Found by review: a network that only attachments used was not set up again after an agent
// restart, so its pods lost the overlay until a container of Docker's came along.
TEST_F(CniHousekeepingTest, ANetworkOnlyAttachmentsUseIsSetUpAgainAfterARestart) {
  host.ipam.add_network("blue", "10.30.0.0/24", 4097);
  proto::cni::AttachRequest request{"/run/netns/c0ffee00", "blue", "pod1", "overlay"};
  ASSERT_TRUE(run(service.add("c0ffee00", "eth0", request)).ok());
  host.networks.forget("blue");  // what an agent that starts again knows
  ASSERT_EQ(host.networks.find("blue"), nullptr);
  ASSERT_TRUE(housekeeping().ok());
  EXPECT_NE(host.networks.find("blue"), nullptr);
  EXPECT_TRUE(host.ipam.names.count("pod1"));
}

TEST_F(CniHousekeepingTest, AKernelThatCannotListTheAttachmentsReleasesNothing) {
  ASSERT_TRUE(add("c0ffee00", "pod1").ok());
  sandboxes.listing_fails = unavailable("netlink_error", "listing links: busy");
  ASSERT_TRUE(housekeeping().ok());
  EXPECT_EQ(host.ipam.faults.calls("release"), 0);
  sandboxes.listing_fails.reset();
  sandboxes.pairs.clear();  // the namespace was deleted without a DEL
  ASSERT_TRUE(housekeeping().ok());
  EXPECT_EQ(host.ipam.names.count("pod1"), 0u);
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
  EXPECT_EQ(service.attached()->at(0).container_name, "pod1");
  EXPECT_TRUE(run(service.gc({"overlay", {}}))->empty());
  EXPECT_EQ(sandboxes.pairs.size(), 1u);
  EXPECT_TRUE(run(service.check("old1", "eth0", "/run/netns/old1")).ok());
}

TEST_F(CniServiceTest, AttachedListsWhatTheKernelHoldsSoThatNoOrphanCheckTakesIt) {
  auto added = add("c0ffee00", "pod1");
  ASSERT_TRUE(added.ok());
  auto held = service.attached();
  ASSERT_TRUE(held.ok());
  proto::Endpoint expected{"pod1", added->address, host.self.host_id, added->mac, "vxlan-net"};
  EXPECT_EQ(*held, std::vector<proto::Endpoint>{expected});
  sandboxes.pairs.clear();  // the namespace was deleted without a DEL
  EXPECT_TRUE(service.attached()->empty());
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
