// DockerRuntime against a real dockerd: each test suite brings up a one-host lab (prefix "dk") and
// always tears it down, also when bringing it up failed half-way. Every test removes the network
// and the labelled containers it made, whatever its outcome.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>

#include "agent/docker/docker_runtime.h"
#include "common/run_blocking.h"

namespace vx::agent {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kSocket = "/run/dklab/host1/docker.sock";
constexpr const char* kImage = "vxlan-demo:latest";
constexpr const char* kNetwork = "dk-test-net";
constexpr const char* kBridge = "dktest0";
constexpr const char* kTestLabel = "vx.test";
constexpr const char* kTestLabelValue = "docker_runtime";

int shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string describe(const Error& error) { return error.code + ": " + error.detail; }

class DockerRuntimeTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    lab_up_ = shell(std::string(VXLAN_LAB) + " up --hosts 1 --prefix dk --no-ipam") == 0;
  }
  static void TearDownTestSuite() { shell(std::string(VXLAN_LAB) + " --prefix dk down"); }

  void SetUp() override { ASSERT_TRUE(lab_up_) << "the lab did not come up; its output is above"; }

  void TearDown() override {
    if (!lab_up_) return;
    auto leftovers = run(docker_.list_containers(kTestLabel, kTestLabelValue));
    ASSERT_TRUE(leftovers) << describe(leftovers.error());
    for (const auto& container : *leftovers) {
      auto removed = run(docker_.remove_container(container.id));
      EXPECT_TRUE(removed) << describe(removed.error());
    }
    if (auto network = run(docker_.inspect_network(kNetwork)); network && *network) {
      auto removed = run(docker_.remove_network(kNetwork));
      EXPECT_TRUE(removed) << describe(removed.error());
    }
  }

  template <typename T>
  T run(asio::awaitable<T> task) {
    return run_blocking(io_, std::move(task));
  }

  static NetworkSpec network_spec() {
    return {kNetwork, *Cidr::parse("172.20.0.0/16"), *Ipv4::parse("172.20.0.1"), kBridge, 1450,
            {{kTestLabel, kTestLabelValue}}};
  }

  Result<NetworkInfo> create_network() { return run(docker_.create_network(network_spec())); }

  Result<ContainerInfo> create_container(const std::string& name, const std::string& ip,
                                         Labels extra_labels = {},
                                         const std::string& network = kNetwork,
                                         const std::string& image = kImage) {
    extra_labels[kTestLabel] = kTestLabelValue;
    return run(docker_.create_container({name, image, network, *Ipv4::parse(ip), extra_labels}));
  }

  // What a command prints inside the container, through the docker CLI: the agent has no exec.
  static std::string inside(const std::string& container, const std::string& command) {
    std::string line = std::string("docker -H unix://") + kSocket + " exec " + container + " " + command;
    std::string out;
    if (FILE* pipe = popen(line.c_str(), "r")) {
      char buffer[4096];
      for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
      pclose(pipe);
    }
    return out;
  }

  static inline bool lab_up_ = false;
  asio::io_context io_;
  DockerRuntime docker_{io_.get_executor(), kSocket, 5s};
};

TEST_F(DockerRuntimeTest, Ping) {
  auto status = run(docker_.ping());
  EXPECT_TRUE(status) << describe(status.error());
}

TEST_F(DockerRuntimeTest, NetworkIsCreatedReadBackAndRemoved) {
  auto missing = run(docker_.inspect_network(kNetwork));
  ASSERT_TRUE(missing) << describe(missing.error());
  EXPECT_FALSE(*missing);

  auto created = create_network();
  ASSERT_TRUE(created) << describe(created.error());
  EXPECT_FALSE(created->id.empty());

  auto read = run(docker_.inspect_network(kNetwork));
  ASSERT_TRUE(read) << describe(read.error());
  ASSERT_TRUE(*read);
  const NetworkInfo& info = **read;
  EXPECT_EQ(info.id, created->id);
  EXPECT_EQ(info.name, kNetwork);
  EXPECT_EQ(info.driver, "bridge");
  EXPECT_EQ(info.subnet, "172.20.0.0/16");
  EXPECT_EQ(info.gateway, "172.20.0.1");
  EXPECT_EQ(info.bridge_name, kBridge);
  EXPECT_EQ(info.mtu, 1450);
  EXPECT_EQ(info.containers, 0);
  EXPECT_EQ(info.labels, (Labels{{kTestLabel, kTestLabelValue}}));

  auto again = create_network();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(again.error().code, "network_exists");
  EXPECT_NE(again.error().detail.find("already exists"), std::string::npos) << again.error().detail;

  auto removed = run(docker_.remove_network(kNetwork));
  ASSERT_TRUE(removed) << describe(removed.error());
  auto gone = run(docker_.inspect_network(kNetwork));
  ASSERT_TRUE(gone) << describe(gone.error());
  EXPECT_FALSE(*gone);
  auto removed_again = run(docker_.remove_network(kNetwork));
  ASSERT_FALSE(removed_again);
  EXPECT_EQ(removed_again.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(removed_again.error().code, "unknown_network");
}

TEST_F(DockerRuntimeTest, ContainerRunsOnTheOverlayOnlyWithItsAddressAndMtu) {
  ASSERT_TRUE(create_network());
  auto created = create_container("dk-web1", "172.20.0.5");
  ASSERT_TRUE(created) << describe(created.error());
  EXPECT_FALSE(created->id.empty());
  EXPECT_EQ(created->name, "dk-web1");
  EXPECT_EQ(created->state, "created");
  EXPECT_EQ(created->ip_address, "172.20.0.5");

  auto before = run(docker_.inspect_container("dk-web1"));
  ASSERT_TRUE(before && *before);
  EXPECT_EQ((*before)->state, "created");
  EXPECT_EQ((*before)->ip_address, "172.20.0.5");  // the address it was created with
  EXPECT_EQ((*before)->mac_address, "");

  auto started = run(docker_.start_container(created->id));
  ASSERT_TRUE(started) << describe(started.error());
  auto started_again = run(docker_.start_container("dk-web1"));
  EXPECT_TRUE(started_again) << describe(started_again.error());

  auto after = run(docker_.inspect_container("dk-web1"));
  ASSERT_TRUE(after) << describe(after.error());
  ASSERT_TRUE(*after);
  const ContainerInfo& info = **after;
  EXPECT_EQ(info.id, created->id);
  EXPECT_EQ(info.name, "dk-web1");
  EXPECT_EQ(info.image, kImage);
  EXPECT_EQ(info.state, "running");
  EXPECT_EQ(info.ip_address, "172.20.0.5");
  EXPECT_EQ(info.mac_address, "02:42:ac:14:00:05");  // Docker derives it from the address
  EXPECT_EQ(info.labels.at(kTestLabel), kTestLabelValue);

  // The kernel's view from inside: one interface besides lo, with our address and MTU.
  EXPECT_EQ(inside("dk-web1", "ls /sys/class/net"), "eth0\nlo\n");
  EXPECT_EQ(inside("dk-web1", "cat /sys/class/net/eth0/mtu"), "1450\n");
  EXPECT_NE(inside("dk-web1", "ip -o -4 addr show eth0").find("172.20.0.5/16"), std::string::npos);

  auto network = run(docker_.inspect_network(kNetwork));
  ASSERT_TRUE(network && *network);
  EXPECT_EQ((*network)->containers, 1);
  auto in_use = run(docker_.remove_network(kNetwork));
  ASSERT_FALSE(in_use);
  EXPECT_EQ(in_use.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(in_use.error().code, "network_in_use");
}

TEST_F(DockerRuntimeTest, CreateRefusesUnknownImagesTakenNamesAndBadNames) {
  ASSERT_TRUE(create_network());
  auto unknown = create_container("dk-noimage", "172.20.0.6", {}, kNetwork, "no-such-image:1.0");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(unknown.error().code, "unknown_image");
  EXPECT_NE(unknown.error().detail.find("'no-such-image:1.0' is not on this host"), std::string::npos)
      << unknown.error().detail;

  ASSERT_TRUE(create_container("dk-twice", "172.20.0.7"));
  auto twice = create_container("dk-twice", "172.20.0.8");
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(twice.error().code, "container_exists");
  EXPECT_NE(twice.error().detail.find("already in use"), std::string::npos) << twice.error().detail;

  auto bad_name = create_container("dk bad/name", "172.20.0.9");
  ASSERT_FALSE(bad_name);
  EXPECT_EQ(bad_name.error().kind, ErrorKind::kBadInput);
  EXPECT_NE(bad_name.error().detail.find("Invalid container name"), std::string::npos)
      << bad_name.error().detail;
}

// Docker 20.10 checks the network and the address only when the container starts.
TEST_F(DockerRuntimeTest, StartRefusesAMissingNetworkAndATakenAddress) {
  ASSERT_TRUE(create_network());
  ASSERT_TRUE(create_container("dk-nonet", "172.20.0.10", {}, "dk-no-such-net"));
  auto no_network = run(docker_.start_container("dk-nonet"));
  ASSERT_FALSE(no_network);
  EXPECT_EQ(no_network.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(no_network.error().code, "unknown_network");

  ASSERT_TRUE(create_container("dk-first", "172.20.0.11"));
  ASSERT_TRUE(create_container("dk-second", "172.20.0.11"));
  ASSERT_TRUE(run(docker_.start_container("dk-first")));
  auto taken = run(docker_.start_container("dk-second"));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(taken.error().code, "address_in_use");

  auto unknown = run(docker_.start_container("dk-nobody"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(unknown.error().code, "unknown_container");
}

TEST_F(DockerRuntimeTest, ListFindsContainersByLabelRunningOrNot) {
  ASSERT_TRUE(create_network());
  ASSERT_TRUE(create_container("dk-red", "172.20.0.20", {{"dk.colour", "red"}}));
  ASSERT_TRUE(create_container("dk-blue", "172.20.0.21", {{"dk.colour", "blue"}}));
  ASSERT_TRUE(run(docker_.start_container("dk-blue")));

  auto red = run(docker_.list_containers("dk.colour", "red"));
  ASSERT_TRUE(red) << describe(red.error());
  ASSERT_EQ(red->size(), 1u);
  EXPECT_EQ(red->front().name, "dk-red");
  EXPECT_EQ(red->front().image, kImage);
  EXPECT_EQ(red->front().state, "created");
  EXPECT_EQ(red->front().ip_address, "172.20.0.20");
  EXPECT_EQ(red->front().labels.at("dk.colour"), "red");

  auto blue = run(docker_.list_containers("dk.colour", "blue"));
  ASSERT_TRUE(blue) << describe(blue.error());
  ASSERT_EQ(blue->size(), 1u);
  EXPECT_EQ(blue->front().name, "dk-blue");
  EXPECT_EQ(blue->front().state, "running");
  EXPECT_EQ(blue->front().ip_address, "172.20.0.21");
  EXPECT_EQ(blue->front().mac_address, "02:42:ac:14:00:15");

  auto both = run(docker_.list_containers(kTestLabel, kTestLabelValue));
  ASSERT_TRUE(both);
  EXPECT_EQ(both->size(), 2u);
  // A value that needs escaping in the query reaches the daemon intact.
  auto none = run(docker_.list_containers("dk.colour", "red&blue +#\"x\""));
  ASSERT_TRUE(none) << describe(none.error());
  EXPECT_TRUE(none->empty());
}

TEST_F(DockerRuntimeTest, RemoveStopsAndRemovesOnce) {
  ASSERT_TRUE(create_network());
  ASSERT_TRUE(create_container("dk-gone", "172.20.0.40"));
  ASSERT_TRUE(run(docker_.start_container("dk-gone")));
  auto started = Clock::now();
  auto removed = run(docker_.remove_container("dk-gone"));
  ASSERT_TRUE(removed) << describe(removed.error());
  EXPECT_LT(Clock::now() - started, 5s);  // killed, not stopped: httpd ignores SIGTERM as PID 1

  auto inspected = run(docker_.inspect_container("dk-gone"));
  ASSERT_TRUE(inspected) << describe(inspected.error());
  EXPECT_FALSE(*inspected);
  auto again = run(docker_.remove_container("dk-gone"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(again.error().code, "unknown_container");
}

// Docker's event stream, a window at a time: the window answers once it has passed, with the
// removals of containers carrying every label asked for, and no other.
TEST_F(DockerRuntimeTest, RemovalsComeFromTheEventStreamOfTheirWindow) {
  ASSERT_TRUE(create_network());
  ASSERT_TRUE(create_container("dk-gone", "172.20.0.30", {{"vx.kind", "watched"}}));
  ASSERT_TRUE(create_container("dk-other", "172.20.0.31", {{"vx.kind", "other"}}));
  ASSERT_TRUE(create_container("dk-kept", "172.20.0.32", {{"vx.kind", "watched"}}));
  auto since = std::chrono::system_clock::now();
  ASSERT_TRUE(run(docker_.remove_container("dk-gone")));
  ASSERT_TRUE(run(docker_.remove_container("dk-other")));
  auto until = std::chrono::system_clock::now() + 1s;
  auto started = Clock::now();
  auto removed = run(docker_.removed_containers({{"vx.kind", "watched"}, {kTestLabel, kTestLabelValue}}, since, until));
  ASSERT_TRUE(removed) << describe(removed.error());
  EXPECT_EQ(*removed, std::vector<std::string>{"dk-gone"});
  EXPECT_GE(Clock::now() - started, 500ms) << "the window must be waited for, not cut short";

  auto later = std::chrono::system_clock::now();
  auto none = run(docker_.removed_containers({{"vx.kind", "watched"}}, later, later + 200ms));
  ASSERT_TRUE(none) << describe(none.error());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace vx::agent
