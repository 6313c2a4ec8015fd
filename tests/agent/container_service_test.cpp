// ContainerService on the fakes: the create and remove lifecycle and every way it can go wrong.
// Create reserves at the IPAM, creates the container on the overlay network with the reserved
// address and the managed and host labels, starts it and records its MAC; a failure after the
// reservation (unknown image, start failing) leaves no container and releases the address; a
// Docker answer that came too late is undone all the same, and an address whose container cannot
// be removed is kept; a name held by another host is a 409 with nothing created; a name this host
// holds with its container present is "container_exists" and keeps its address, without its
// container (a half-done create) the create completes on that address; a failed MAC record does
// not undo the create; the host's gateway name is refused. Remove removes and releases, releases
// even when the container is gone, answers 404 for a name nobody knows and refuses containers the
// agent did not create. After every test, each managed container must hold its own address at the
// IPAM (every_container_holds_its_address).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "fakes.h"

namespace vx::agent {
namespace {

using fakes::run;
using fakes::TestHost;

class ContainerServiceTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_TRUE(fakes::every_container_holds_its_address(host)); }

  Result<ManagedContainer> create(const std::string& name, const std::string& image = "alpine",
                                  const std::string& network = "vxlan-net") {
    return run(host.service.create(name, image, network));
  }
  Result<ManagedContainer> remove(const std::string& name) { return run(host.service.remove(name)); }

  static void expect_error(const Result<ManagedContainer>& result, ErrorKind kind, const std::string& code) {
    ASSERT_FALSE(result.ok()) << "succeeded where " << code << " was expected";
    EXPECT_EQ(result.error().kind, kind) << result.error().detail;
    EXPECT_EQ(result.error().code, code) << result.error().detail;
  }

  bool holds(const std::string& name) const { return host.ipam.names.count(name) > 0; }
  bool has_container(const std::string& name) const { return host.runtime.containers.count(name) > 0; }
  int ipam_calls(const std::string& call) const { return host.ipam.faults.calls(call); }
  int docker_calls(const std::string& call) const { return host.runtime.faults.calls(call); }

  TestHost host;
};

TEST_F(ContainerServiceTest, CreateReservesCreatesStartsAndRecordsTheMac) {
  auto created = create("web");
  ASSERT_TRUE(created.ok()) << created.error().detail;

  ASSERT_TRUE(holds("web"));
  const proto::Endpoint& reserved = host.ipam.names.at("web");
  EXPECT_EQ(reserved.host_id, "host1");
  ASSERT_TRUE(has_container("web"));
  const auto& container = host.runtime.containers.at("web");
  EXPECT_EQ(container.spec.network, "vxlan-net");
  EXPECT_EQ(container.spec.ip.to_string(), reserved.ip_address);
  EXPECT_EQ(container.spec.image, "alpine");
  Labels labels{{kManagedLabel, "true"}, {kHostLabel, "host1"}};
  EXPECT_EQ(container.spec.labels, labels);
  EXPECT_EQ(container.info.state, "running");

  EXPECT_EQ(created->id, container.info.id);
  EXPECT_EQ(created->name, "web");
  EXPECT_EQ(created->ip_address, reserved.ip_address);
  EXPECT_EQ(created->mac_address, fakes::mac_for(container.spec.ip));
  EXPECT_EQ(created->image, "alpine");
  EXPECT_EQ(created->status, "running");
  EXPECT_EQ(created->host_id, "host1");
  EXPECT_EQ(reserved.mac_address, created->mac_address);
  EXPECT_EQ(ipam_calls("release"), 0);
}

TEST_F(ContainerServiceTest, TwoContainersGetTwoAddresses) {
  auto first = create("web");
  auto second = create("db");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->ip_address, second->ip_address);
  EXPECT_NE(first->mac_address, second->mac_address);
}

TEST_F(ContainerServiceTest, UnknownImageReleasesTheAddressAndLeavesNoContainer) {
  expect_error(create("web", "nosuchimage"), ErrorKind::kBadInput, "unknown_image");
  EXPECT_FALSE(holds("web"));
  EXPECT_FALSE(has_container("web"));
  EXPECT_EQ(ipam_calls("allocate"), 1);
  EXPECT_EQ(ipam_calls("release"), 1);
  // The address went back to the pool: the name can be used again at once.
  host.runtime.images.insert("nosuchimage");
  EXPECT_TRUE(create("web", "nosuchimage").ok());
}

TEST_F(ContainerServiceTest, StartFailureRemovesTheContainerAndReleasesTheAddress) {
  host.runtime.faults.fail("start_container", unavailable("docker_error", "start container web: OCI runtime"));
  expect_error(create("web"), ErrorKind::kUnavailable, "docker_error");
  EXPECT_EQ(docker_calls("create_container"), 1);
  EXPECT_EQ(docker_calls("remove_container"), 1);
  EXPECT_FALSE(has_container("web"));
  EXPECT_FALSE(holds("web"));
}

TEST_F(ContainerServiceTest, StartThatWorkedButAnsweredTooLateIsUndoneAllTheSame) {
  host.runtime.faults.fail_after_work("start_container", unavailable("timeout", "start container web: deadline"));
  expect_error(create("web"), ErrorKind::kUnavailable, "timeout");
  EXPECT_FALSE(has_container("web"));
  EXPECT_FALSE(holds("web"));
}

TEST_F(ContainerServiceTest, NameHeldByAnotherHostIsAConflictAndCreatesNothing) {
  std::string theirs = host.ipam.hold("web", "host2").ip_address;
  expect_error(create("web"), ErrorKind::kConflict, "name_conflict");
  EXPECT_EQ(docker_calls("create_container"), 0);
  EXPECT_FALSE(has_container("web"));
  EXPECT_EQ(ipam_calls("release"), 0);
  EXPECT_EQ(host.ipam.names.at("web").host_id, "host2");
  EXPECT_EQ(host.ipam.names.at("web").ip_address, theirs);
}

TEST_F(ContainerServiceTest, IpamDownCreatesNothing) {
  host.ipam.down = true;
  expect_error(create("web"), ErrorKind::kUnavailable, "ipam_unavailable");
  EXPECT_EQ(docker_calls("create_container"), 0);
  EXPECT_TRUE(host.runtime.containers.empty());
}

TEST_F(ContainerServiceTest, SecondCreateOfAnExistingContainerKeepsItsAddress) {
  auto first = create("web");
  ASSERT_TRUE(first.ok());
  expect_error(create("web"), ErrorKind::kConflict, "container_exists");
  ASSERT_TRUE(holds("web"));
  EXPECT_EQ(host.ipam.names.at("web").ip_address, first->ip_address);
  ASSERT_TRUE(has_container("web"));
  EXPECT_EQ(host.runtime.containers.at("web").info.id, first->id);
  EXPECT_EQ(ipam_calls("release"), 0);
  EXPECT_EQ(docker_calls("create_container"), 1);
}

TEST_F(ContainerServiceTest, HalfDoneEarlierCreateIsCompletedOnItsAddress) {
  std::string earlier = host.ipam.hold("web", "host1").ip_address;  // reserved, then the agent died
  auto created = create("web");
  ASSERT_TRUE(created.ok()) << created.error().detail;
  EXPECT_EQ(created->ip_address, earlier);
  EXPECT_EQ(host.runtime.containers.at("web").spec.ip.to_string(), earlier);
  EXPECT_EQ(host.ipam.names.at("web").mac_address, created->mac_address);
  EXPECT_EQ(ipam_calls("release"), 0);
}

TEST_F(ContainerServiceTest, HandMadeContainerOfTheSameNameIsLeftAloneAndTheAddressReleased) {
  host.runtime.add_container("web", {});
  expect_error(create("web"), ErrorKind::kConflict, "container_exists");
  EXPECT_FALSE(holds("web"));
  ASSERT_TRUE(has_container("web"));
  EXPECT_TRUE(host.runtime.containers.at("web").info.labels.empty());
  EXPECT_EQ(docker_calls("remove_container"), 0);
}

TEST_F(ContainerServiceTest, MacRecordingFailureDoesNotUndoTheCreate) {
  host.ipam.faults.fail("record_endpoint", unavailable("ipam_unavailable", "the IPAM does not answer"));
  auto created = create("web");
  ASSERT_TRUE(created.ok()) << created.error().detail;
  EXPECT_EQ(ipam_calls("record_endpoint"), 1);
  ASSERT_TRUE(has_container("web"));
  EXPECT_EQ(host.runtime.containers.at("web").info.state, "running");
  ASSERT_TRUE(holds("web"));
  EXPECT_EQ(host.ipam.names.at("web").mac_address, "");  // the reconciler records it later
  EXPECT_EQ(ipam_calls("release"), 0);
  EXPECT_EQ(docker_calls("remove_container"), 0);
}

// A deadline that passes just after dockerd created the container: the agent cannot know the
// create happened, so it must remove the container by name before it releases the address, or the
// container would run on an address the IPAM may hand to another host.
TEST_F(ContainerServiceTest, CreateThatWorkedButAnsweredTooLateIsUndoneByName) {
  host.runtime.faults.fail_after_work("create_container", unavailable("timeout", "create container web: deadline"));
  expect_error(create("web"), ErrorKind::kUnavailable, "timeout");
  EXPECT_FALSE(has_container("web"));
  EXPECT_FALSE(holds("web"));
}

TEST_F(ContainerServiceTest, CreateWithDockerDownKeepsTheAddressForTheReconciler) {
  host.runtime.down = true;  // the create may or may not have happened, and nothing can be removed
  expect_error(create("web"), ErrorKind::kUnavailable, "docker_unavailable");
  EXPECT_TRUE(holds("web"));
  EXPECT_EQ(ipam_calls("release"), 0);
}

TEST_F(ContainerServiceTest, StartFailureWhoseRemoveFailsKeepsTheAddress) {
  host.runtime.faults.fail("start_container", unavailable("docker_error", "start container web: OCI runtime"));
  host.runtime.faults.fail("remove_container", unavailable("docker_error", "remove container web: busy"));
  expect_error(create("web"), ErrorKind::kUnavailable, "docker_error");
  EXPECT_TRUE(has_container("web"));
  EXPECT_TRUE(holds("web"));  // TearDown: still the container's own address
  EXPECT_EQ(ipam_calls("release"), 0);
}

// After a create that failed for want of an answer, the agent looks for what it may have made.
// A container of that name without the managed label was made by hand: it is never removed.
TEST_F(ContainerServiceTest, UncertainCreateNeverRemovesAHandMadeContainer) {
  host.runtime.add_container("web", {});
  host.runtime.faults.fail("create_container", unavailable("timeout", "create container web: deadline"));
  expect_error(create("web"), ErrorKind::kUnavailable, "timeout");
  ASSERT_TRUE(has_container("web"));
  EXPECT_TRUE(host.runtime.containers.at("web").info.labels.empty());
  EXPECT_EQ(docker_calls("remove_container"), 0);
}

// The host's own gateway name, "vxlan-gateway.host1", is a valid container name that this host
// holds: a create of it would build a container on the bridge's own address, a remove would free
// the gateway's address. Both are refused before the IPAM or Docker is asked.
TEST_F(ContainerServiceTest, TheGatewayNameIsNeverACreateOrARemove) {
  const std::string gateway = host.self.gateway_name();
  const proto::Endpoint reserved = host.ipam.names.at(gateway);
  expect_error(create(gateway), ErrorKind::kBadInput, "reserved_name");
  expect_error(remove(gateway), ErrorKind::kBadInput, "reserved_name");
  EXPECT_EQ(ipam_calls("allocate"), 0);
  EXPECT_EQ(ipam_calls("release"), 0);
  EXPECT_EQ(docker_calls("create_container"), 0);
  ASSERT_TRUE(holds(gateway));
  EXPECT_EQ(host.ipam.names.at(gateway).ip_address, reserved.ip_address);
  // Another host's gateway, or a gateway on another network, is no container either.
  for (const char* other : {"vxlan-gateway.host2", "vxlan-gateway-blue.host1", "vxlan-gateway-blue.nowhere"}) {
    expect_error(create(other), ErrorKind::kBadInput, "reserved_name");
    expect_error(remove(other), ErrorKind::kBadInput, "reserved_name");
  }
  EXPECT_EQ(ipam_calls("allocate"), 0);
}

// Found by a hostile review: a cluster network named like a user's own Docker network removed and
// recreated that network. The agent only ever replaces networks it made.
TEST_F(ContainerServiceTest, AUsersDockerNetworkOfTheSameNameIsNeverReplaced) {
  host.ipam.add_network("backend", "10.30.0.0/24", 4097);
  host.runtime.networks["backend"] = {"net-user", "backend", "bridge", "192.168.7.0/24", "192.168.7.1", "br-user", 1500, 0, {}};
  expect_error(create("web", "alpine", "backend"), ErrorKind::kConflict, "network_not_ours");
  EXPECT_EQ(host.runtime.networks.at("backend").id, "net-user");
  EXPECT_EQ(docker_calls("remove_network"), 0);
  EXPECT_FALSE(host.ipam.names.count("web"));
}

// A container on another network: the network is set up here first (its gateway, Docker network
// and VXLAN device, named after its VNI), then the container joins that network only, with an
// address from its pool, labelled with it.
TEST_F(ContainerServiceTest, ACreateOnAnotherNetworkSetsTheNetworkUpFirst) {
  host.ipam.add_network("blue", "10.30.0.0/24", 4097);
  auto created = create("web", "alpine", "blue");
  ASSERT_TRUE(created.ok()) << created.error().detail;
  EXPECT_EQ(created->network, "blue");
  EXPECT_TRUE(created->ip_address.starts_with("10.30.0.")) << created->ip_address;
  EXPECT_EQ(host.ipam.names.at("web").network, "blue");
  ASSERT_TRUE(host.ipam.names.count("vxlan-gateway-blue.host1"));
  EXPECT_EQ(host.ipam.names.at("vxlan-gateway-blue.host1").network, "blue");
  ASSERT_TRUE(host.runtime.networks.count("blue"));
  EXPECT_EQ(host.runtime.networks.at("blue").bridge_name, "br-vx4097");
  EXPECT_EQ(host.runtime.networks.at("blue").labels.at(kNetworkLabel), "blue");
  ASSERT_TRUE(host.dataplane.vxlans.count("vxlan4097"));
  EXPECT_EQ(host.dataplane.vxlans.at("vxlan4097").vni, 4097u);
  EXPECT_EQ(host.dataplane.vxlans.at("vxlan4097").master, "br-vx4097");
  EXPECT_EQ(host.runtime.containers.at("web").info.labels.at(kNetworkLabel), "blue");
  ASSERT_NE(host.networks.find("blue"), nullptr);
  // Both networks' bridges are kept from each other's subnets.
  std::vector<IsolatedNetwork> isolated{{"br-vx4097", *Cidr::parse("10.30.0.0/24")},
                                        {"br-vxlan", *Cidr::parse("172.20.0.0/16")}};
  EXPECT_EQ(host.dataplane.isolated, isolated);

  auto second = create("db", "alpine", "blue");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(ipam_calls("network"), 1) << "a network is set up once";
  expect_error(create("api", "alpine", "nowhere"), ErrorKind::kNotFound, "unknown_network");
  EXPECT_FALSE(host.ipam.names.count("api"));
}

TEST_F(ContainerServiceTest, RemoveRemovesTheContainerAndReleasesItsAddress) {
  auto created = create("web");
  ASSERT_TRUE(created.ok());
  auto removed = remove("web");
  ASSERT_TRUE(removed.ok()) << removed.error().detail;
  EXPECT_EQ(removed->name, "web");
  EXPECT_EQ(removed->id, created->id);
  EXPECT_EQ(removed->ip_address, created->ip_address);
  EXPECT_EQ(removed->status, "removed");
  EXPECT_EQ(removed->host_id, "host1");
  EXPECT_FALSE(has_container("web"));
  EXPECT_FALSE(holds("web"));
}

TEST_F(ContainerServiceTest, RemoveReleasesEvenWhenTheContainerIsGone) {
  host.ipam.hold("web", "host1");
  auto removed = remove("web");
  ASSERT_TRUE(removed.ok()) << removed.error().detail;
  EXPECT_EQ(removed->name, "web");
  EXPECT_EQ(removed->status, "removed");
  EXPECT_FALSE(holds("web"));
  EXPECT_EQ(docker_calls("remove_container"), 0);
}

TEST_F(ContainerServiceTest, RemoveOfAContainerWhoseAddressWasAlreadyReleasedSucceeds) {
  ASSERT_TRUE(create("web").ok());
  host.ipam.names.erase("web");  // released by someone else meanwhile
  auto removed = remove("web");
  ASSERT_TRUE(removed.ok()) << removed.error().detail;
  EXPECT_FALSE(has_container("web"));
}

TEST_F(ContainerServiceTest, RemoveOfANameNobodyKnowsIsNotFound) {
  expect_error(remove("ghost"), ErrorKind::kNotFound, "unknown_container");
  EXPECT_EQ(docker_calls("remove_container"), 0);
}

TEST_F(ContainerServiceTest, RemoveOfAnUnmanagedContainerIsRefusedAndReleasesNothing) {
  host.ipam.hold("web", "host1");
  host.runtime.add_container("web", {});
  expect_error(remove("web"), ErrorKind::kConflict, "not_managed");
  EXPECT_TRUE(has_container("web"));
  EXPECT_TRUE(holds("web"));
  EXPECT_EQ(ipam_calls("release"), 0);
  EXPECT_EQ(docker_calls("remove_container"), 0);
}

TEST_F(ContainerServiceTest, RemoveOfANameOfAnotherHostIsRefused) {
  host.ipam.hold("web", "host2");
  expect_error(remove("web"), ErrorKind::kConflict, "host_mismatch");
  EXPECT_EQ(host.ipam.names.at("web").host_id, "host2");
}

TEST_F(ContainerServiceTest, RemoveWithDockerDownChangesNothing) {
  ASSERT_TRUE(create("web").ok());
  host.runtime.down = true;
  expect_error(remove("web"), ErrorKind::kUnavailable, "docker_unavailable");
  host.runtime.down = false;
  EXPECT_TRUE(has_container("web"));
  EXPECT_TRUE(holds("web"));
}

TEST_F(ContainerServiceTest, ListAndGetShowManagedContainersOnly) {
  ASSERT_TRUE(create("web").ok());
  ASSERT_TRUE(create("db").ok());
  host.runtime.add_container("handmade", {}, "172.20.0.200");
  auto listed = run(host.service.list());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "db");  // by name
  EXPECT_EQ((*listed)[1].name, "web");
  auto got = run(host.service.get("web"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ip_address, host.ipam.names.at("web").ip_address);
  expect_error(run(host.service.get("handmade")), ErrorKind::kNotFound, "unknown_container");
  expect_error(run(host.service.get("ghost")), ErrorKind::kNotFound, "unknown_container");
}

// A create and a remove of a name while another create of it is half-way would judge its half-made
// state: both are refused until it is done.
TEST_F(ContainerServiceTest, OneOperationPerNameAtATime) {
  boost::asio::io_context io;
  host.ipam.allocate_gate = std::make_shared<boost::asio::steady_timer>(io, boost::asio::steady_timer::time_point::max());
  struct DropGate {  // the gate's timer must go before the io_context it lives on, on every path
    fakes::FakeIpam& ipam;
    ~DropGate() { ipam.allocate_gate.reset(); }
  } drop_gate{host.ipam};
  std::optional<Result<ManagedContainer>> first, second, removal;
  auto start = [&](std::optional<Result<ManagedContainer>>& out, boost::asio::awaitable<Result<ManagedContainer>> task) {
    boost::asio::co_spawn(io, [&out, task = std::move(task)]() mutable -> boost::asio::awaitable<void> {
      out.emplace(co_await std::move(task));
    }, boost::asio::detached);
  };
  const std::string name = "web", image = "alpine", network = "vxlan-net";  // the coroutines keep references
  start(first, host.service.create(name, image, network));
  io.poll();
  ASSERT_FALSE(first.has_value());  // waiting at the IPAM
  EXPECT_TRUE(host.claims.taken("web"));
  start(second, host.service.create(name, image, network));
  start(removal, host.service.remove(name));
  io.poll();
  ASSERT_TRUE(second.has_value() && removal.has_value());
  expect_error(*second, ErrorKind::kConflict, "operation_in_progress");
  expect_error(*removal, ErrorKind::kConflict, "operation_in_progress");
  host.ipam.allocate_gate->cancel();
  io.run();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(first->ok()) << first->error().detail;
  EXPECT_FALSE(host.claims.taken("web"));
  EXPECT_TRUE(has_container("web"));
  EXPECT_TRUE(holds("web"));
}

}  // namespace
}  // namespace vx::agent
