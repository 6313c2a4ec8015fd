// The RemovalFollower on the fakes: a managed container of this host removed behind the agent's
// back (docker rm -f) releases its name at the end of the window it was removed in; a name
// recreated since, a name with an operation in flight, another host's container and an unmanaged
// one are left alone; and a Docker that does not answer makes the next window start where the
// failed one did, so that no removal is skipped.
#include <gtest/gtest.h>

#include <set>

#include "agent/removal_follower.h"
#include "fakes.h"

namespace vx::agent {
namespace {

using fakes::run;
using fakes::TestHost;
using namespace std::chrono_literals;
using SystemClock = std::chrono::system_clock;

class RemovalFollowerTest : public ::testing::Test {
 protected:
  RemovalFollowerTest() {
    for (const char* name : {"web", "db"}) {
      std::string address = host.ipam.hold(name, host.self.host_id).ip_address;
      host.runtime.add_container(name, managed_here(), address);
    }
  }

  Labels managed_here() const { return {{kManagedLabel, "true"}, {kHostLabel, host.self.host_id}}; }
  void remove_behind_the_agents_back(const std::string& name) { ASSERT_TRUE(run(host.runtime.remove_container(name))); }
  SystemClock::time_point window(SystemClock::time_point since) { return run(follower.follow_window(since)); }

  TestHost host;
  std::set<std::string> pods;  // the names CNI attachments hold here
  bool pods_unknown = false;   // the kernel does not list them
  RemovalFollower follower{host.self, host.ipam, host.runtime, host.claims,
                           [this](const std::string& name) -> Result<bool> {
                             if (pods_unknown) return unavailable("netlink_failed", "cannot list the host ends");
                             return pods.count(name) > 0;
                           },
                           100ms};
};

TEST_F(RemovalFollowerTest, AContainerRemovedOutsideTheAgentReleasesItsAddress) {
  auto since = SystemClock::now();
  remove_behind_the_agents_back("web");
  auto next = window(since);
  EXPECT_GT(next, since);
  EXPECT_FALSE(host.ipam.names.count("web"));
  EXPECT_TRUE(host.ipam.names.count("db"));
  window(next);  // the same removal again, from a window that touches: nothing more happens
  EXPECT_TRUE(host.ipam.names.count("db"));
}

// Found by the docker-native lab (`docker rm -f web` left web registered once in a few runs): a
// removal met while another operation claimed its name (the disconnect's handler, at the same
// moment) was dropped, and the address waited for housekeeping's grace.
TEST_F(RemovalFollowerTest, ANameRecreatedOrBusyKeepsItsAddress) {
  auto since = SystemClock::now();
  remove_behind_the_agents_back("web");
  host.runtime.add_container("web", managed_here(), host.ipam.names.at("web").ip_address);
  remove_behind_the_agents_back("db");
  auto in_flight = host.claims.take({"db"});  // another operation of the agent on db
  auto next = window(since);
  EXPECT_TRUE(host.ipam.names.count("web"));
  EXPECT_TRUE(host.ipam.names.count("db"));
  in_flight.reset();
  window(next);
  EXPECT_TRUE(host.ipam.names.count("web"));
  EXPECT_FALSE(host.ipam.names.count("db")) << "a removal met while its name was claimed is not lost";
}

// Found by review: a Docker container that shares a CNI pod's name, on any network, freed the pod's
// address when it was removed: the follower asked Docker only.
TEST_F(RemovalFollowerTest, TheRemovalOfADockerContainerNamedAfterAPodLeavesThePodsAddress) {
  std::string address = host.ipam.hold("pod1", host.self.host_id, fakes::kMacB).ip_address;
  pods.insert("pod1");
  host.runtime.add_container("pod1", {});  // on Docker's own bridge
  auto since = SystemClock::now();
  remove_behind_the_agents_back("pod1");
  window(since);
  ASSERT_TRUE(host.ipam.names.count("pod1"));
  EXPECT_EQ(host.ipam.names.at("pod1").ip_address, address);
}

// Found by a hostile run: removing a Docker container named like the host's gateway released the
// gateway's name, and the agent could not set the host up again while containers used the old one.
TEST_F(RemovalFollowerTest, TheRemovalOfAContainerNamedLikeTheGatewayLeavesTheGateway) {
  std::string gateway = host.self.gateway_name(host.self.network);
  host.ipam.hold(gateway, host.self.host_id);
  host.runtime.add_container(gateway, {});
  auto since = SystemClock::now();
  remove_behind_the_agents_back(gateway);
  window(since);
  EXPECT_TRUE(host.ipam.names.count(gateway));
}

// Found by review: a removal whose name could not be checked against the pods here was dropped.
TEST_F(RemovalFollowerTest, ARemovalWhoseNameCannotBeCheckedIsTriedAgain) {
  auto since = SystemClock::now();
  remove_behind_the_agents_back("web");
  pods_unknown = true;
  auto next = window(since);
  EXPECT_TRUE(host.ipam.names.count("web"));
  pods_unknown = false;
  window(next);
  EXPECT_FALSE(host.ipam.names.count("web"));
}

// The seed's DELETE of a container already gone answers 200 and releases it; the follower may have
// released it a moment before, which must not turn the answer into a 404.
TEST_F(RemovalFollowerTest, ARemoveRightAfterTheFollowerReleasedStillSucceeds) {
  follower.on_released([this](const std::string& name) { host.service.released_elsewhere(name); });
  auto since = SystemClock::now();
  remove_behind_the_agents_back("web");
  window(since);
  ASSERT_FALSE(host.ipam.names.count("web"));
  auto removed = run(host.service.remove("web"));
  ASSERT_TRUE(removed) << removed.error().detail;
  EXPECT_EQ(removed->status, "removed");
  auto unknown = run(host.service.remove("never"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "unknown_container");
}

// A container Docker ran by itself (`docker run --network`) holds its name here too: its removal
// releases it; another host's name is never released.
TEST_F(RemovalFollowerTest, OnlyThisHostsNamesAreReleased) {
  host.ipam.hold("elsewhere", "host2");
  host.runtime.add_container("elsewhere", {{kManagedLabel, "true"}, {kHostLabel, "host2"}});
  host.ipam.hold("handmade", host.self.host_id);
  host.runtime.add_container("handmade", {});
  auto since = SystemClock::now();
  remove_behind_the_agents_back("elsewhere");
  remove_behind_the_agents_back("handmade");
  window(since);
  EXPECT_TRUE(host.ipam.names.count("elsewhere"));
  EXPECT_FALSE(host.ipam.names.count("handmade"));
}

TEST_F(RemovalFollowerTest, AWindowDockerMissedIsReadAgain) {
  auto since = SystemClock::now();
  remove_behind_the_agents_back("web");
  host.runtime.down = true;
  EXPECT_EQ(window(since), since);
  EXPECT_TRUE(host.ipam.names.count("web"));
  host.runtime.down = false;
  window(since);
  EXPECT_FALSE(host.ipam.names.count("web"));
}

}  // namespace
}  // namespace vx::agent
