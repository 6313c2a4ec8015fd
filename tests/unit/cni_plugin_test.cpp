// The vxlan-cni plugin's logic (cni/plugin.h) with a fake agent: what each command prints and exits
// with, the spec's error codes for a bad configuration, a bad environment and an agent that is
// down, and that nothing reaches the agent before the input is checked.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "cni/plugin.h"

namespace vx::cni {
namespace {

namespace json = boost::json;

struct Calls {
  std::vector<std::string> made;
  std::optional<Error> fails;
  proto::cni::AttachRequest last_add;
  proto::cni::GcRequest last_gc;
};

class FakeAgent : public AgentCalls {
 public:
  explicit FakeAgent(Calls& calls) : calls_(calls) {}
  Result<proto::cni::Attachment> add(const std::string& id, const std::string& ifname,
                                     const proto::cni::AttachRequest& request) override {
    calls_.made.push_back("add");
    calls_.last_add = request;
    if (calls_.fails) return *calls_.fails;
    return attachment(id, ifname, request.netns, request.name);
  }
  Result<proto::cni::Attachment> check(const std::string& id, const std::string& ifname,
                                       const std::string& netns) override {
    calls_.made.push_back("check");
    if (calls_.fails) return *calls_.fails;
    return attachment(id, ifname, netns, "pod1");
  }
  Status del(const std::string&, const std::string&, const std::string&) override {
    calls_.made.push_back("del");
    return calls_.fails ? Status(*calls_.fails) : Status(Ok{});
  }
  Status gc(const proto::cni::GcRequest& request) override {
    calls_.made.push_back("gc");
    calls_.last_gc = request;
    return calls_.fails ? Status(*calls_.fails) : Status(Ok{});
  }
  Status health() override {
    calls_.made.push_back("health");
    return calls_.fails ? Status(*calls_.fails) : Status(Ok{});
  }

  static proto::cni::Attachment attachment(const std::string& id, const std::string& ifname, const std::string& netns,
                                           const std::string& name) {
    return {id, ifname, netns, name, "vxlan-net", "vxc0123456789ab", "02:11:22:33:44:55", "172.20.0.9", 16,
            "172.20.0.1", 1450};
  }

 private:
  Calls& calls_;
};

class CniPluginTest : public ::testing::Test {
 protected:
  std::map<std::string, std::string> env(const std::string& command) {
    return {{"CNI_COMMAND", command}, {"CNI_CONTAINERID", "c0ffee00"}, {"CNI_NETNS", "/run/netns/c0ffee00"},
            {"CNI_IFNAME", "eth0"}, {"CNI_PATH", "/opt/cni/bin"}, {"CNI_ARGS", "IgnoreUnknown=1;VXLAN_NAME=pod1"}};
  }
  Outcome invoke(const std::map<std::string, std::string>& environment, const std::string& config = kConfig) {
    return run(environment, config, [this](const proto::cni::NetConf&) -> Result<std::unique_ptr<AgentCalls>> {
      return std::unique_ptr<AgentCalls>(std::make_unique<FakeAgent>(calls));
    });
  }
  static json::object parsed(const Outcome& outcome) {
    json::value value;
    EXPECT_NO_THROW(value = json::parse(outcome.out)) << outcome.out;
    return value.is_object() ? value.get_object() : json::object{};
  }
  static int64_t code_of(const Outcome& outcome) {
    EXPECT_NE(outcome.exit_code, 0);
    json::object error = parsed(outcome);
    EXPECT_TRUE(error.contains("msg")) << outcome.out;
    return error.contains("code") ? error.at("code").as_int64() : -1;
  }

  static constexpr const char* kConfig = R"({"cniVersion":"1.0.0","name":"overlay","type":"vxlan-cni"})";
  Calls calls;
};

TEST_F(CniPluginTest, VersionNamesTheSpecVersionsItSpeaks) {
  Outcome outcome = invoke({{"CNI_COMMAND", "VERSION"}}, "");
  EXPECT_EQ(outcome.exit_code, 0);
  json::object answer = parsed(outcome);
  EXPECT_EQ(answer.at("cniVersion"), "1.1.0");
  EXPECT_EQ(answer.at("supportedVersions"), (json::array{"1.0.0", "1.1.0"}));
  EXPECT_TRUE(calls.made.empty());
}

TEST_F(CniPluginTest, AddAnswersTheSpecsResult) {
  Outcome outcome = invoke(env("ADD"));
  ASSERT_EQ(outcome.exit_code, 0) << outcome.out;
  json::object result = parsed(outcome);
  EXPECT_EQ(result.at("cniVersion"), "1.0.0");
  json::array interfaces = result.at("interfaces").as_array();
  ASSERT_EQ(interfaces.size(), 2u);
  EXPECT_EQ(interfaces[1].at("name"), "eth0");
  EXPECT_EQ(interfaces[1].at("mac"), "02:11:22:33:44:55");
  EXPECT_EQ(interfaces[1].at("sandbox"), "/run/netns/c0ffee00");
  EXPECT_FALSE(interfaces[1].as_object().contains("mtu"));  // 1.1.0's
  json::object ip = result.at("ips").as_array().at(0).as_object();
  EXPECT_EQ(ip.at("address"), "172.20.0.9/16");
  EXPECT_EQ(ip.at("gateway"), "172.20.0.1");
  EXPECT_EQ(ip.at("interface"), 1);
  EXPECT_EQ(result.at("routes").as_array().at(0).at("dst"), "0.0.0.0/0");
  EXPECT_EQ(result.at("dns").at("nameservers"), (json::array{"172.20.0.1"}));
  EXPECT_EQ(calls.last_add.name, "pod1");
  EXPECT_EQ(calls.last_add.network, "vxlan-net");
}

// The agent runs as root: it opens only where runtimes keep namespaces, never a path a caller
// chose (a device's open can arm or rewind it).
TEST_F(CniPluginTest, TheNamespaceMustBeWhereRuntimesKeepThem) {
  auto environment = env("ADD");
  for (const char* path : {"/proc/42/ns/net", "/proc/42/task/43/ns/net", "/run/netns/cni-1234", "/var/run/netns/x"}) {
    environment["CNI_NETNS"] = path;
    EXPECT_EQ(invoke(environment).exit_code, 0) << path;
  }
  calls.made.clear();
  for (const char* path : {"/dev/watchdog", "/etc/passwd", "/run/netns/..", "/run/netns/", "/run/netns/a/b",
                           "/proc/self/ns/net", "/proc/42/ns/mnt", "/proc/42/ns/net/", "run/netns/x", "/tmp/netns",
                           "//run/netns/x", "/var/run/netns/../../dev/sda"}) {
    environment["CNI_NETNS"] = path;
    Outcome refused = invoke(environment);
    EXPECT_EQ(code_of(refused), 4) << path;
    EXPECT_EQ(parsed(refused).at("details"), "invalid_netns") << path;
  }
  EXPECT_TRUE(calls.made.empty());
}

// Two pods called web-1 in two namespaces are two names in the registry, never one.
TEST_F(CniPluginTest, TheNameComesFromTheArgumentsOrTheContainerId) {
  auto environment = env("ADD");
  environment["CNI_ARGS"] = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-1";
  ASSERT_EQ(invoke(environment).exit_code, 0);
  EXPECT_EQ(calls.last_add.name, "web-1.default");
  environment["CNI_ARGS"] = "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1";
  ASSERT_EQ(invoke(environment).exit_code, 0);
  EXPECT_EQ(calls.last_add.name, "web-1.shop");
  environment["CNI_ARGS"] = "K8S_POD_NAME=web-1";
  ASSERT_EQ(invoke(environment).exit_code, 0);
  EXPECT_EQ(calls.last_add.name, "web-1");
  environment["CNI_ARGS"] = "K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1;VXLAN_NAME=front";
  ASSERT_EQ(invoke(environment).exit_code, 0);
  EXPECT_EQ(calls.last_add.name, "front");
  environment["CNI_ARGS"] = "";
  environment["CNI_CONTAINERID"] = "0123456789abcdef0123";
  ASSERT_EQ(invoke(environment).exit_code, 0);
  EXPECT_EQ(calls.last_add.name, "cni-0123456789ab");
}

TEST_F(CniPluginTest, Version110AddsTheInterfaceMtu) {
  Outcome outcome = invoke(env("ADD"), R"({"cniVersion":"1.1.0","name":"overlay","type":"vxlan-cni"})");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.out;
  EXPECT_EQ(parsed(outcome).at("interfaces").as_array()[1].at("mtu"), 1450);
}

TEST_F(CniPluginTest, ABadConfigurationGetsTheSpecsCodesAndReachesNoAgent) {
  EXPECT_EQ(code_of(invoke(env("ADD"), "not json")), 6);
  EXPECT_EQ(code_of(invoke(env("ADD"), R"({"cniVersion":"0.3.1","name":"n","type":"vxlan-cni"})")), 1);
  EXPECT_EQ(code_of(invoke(env("ADD"), R"({"cniVersion":"1.0.0","name":"n","type":"bridge"})")), 7);
  EXPECT_EQ(code_of(invoke(env("ADD"), R"({"cniVersion":"1.0.0","type":"vxlan-cni"})")), 7);
  EXPECT_EQ(code_of(invoke(env("ADD"), R"({"cniVersion":"1.0.0","name":"n","type":"vxlan-cni","network":"a b"})")), 7);
  EXPECT_EQ(code_of(invoke(env("ADD"), R"({"cniVersion":"1.0.0","name":"n","type":"vxlan-cni","agent_url":7})")), 7);
  EXPECT_TRUE(calls.made.empty());
}

TEST_F(CniPluginTest, ABadEnvironmentGetsCodeFourAndReachesNoAgent) {
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{{"CNI_CONTAINERID", ""},
                                                                            {"CNI_CONTAINERID", "-bad"},
                                                                            {"CNI_IFNAME", ""},
                                                                            {"CNI_IFNAME", "a/b"},
                                                                            {"CNI_IFNAME", "sixteen-chars-xx"},
                                                                            {"CNI_NETNS", "relative"},
                                                                            {"CNI_ARGS", "novalue"},
                                                                            {"CNI_ARGS", "VXLAN_NAME=x"},
                                                                            {"CNI_COMMAND", "FROB"}}) {
    auto environment = env("ADD");
    environment[key] = value;
    EXPECT_EQ(code_of(invoke(environment)), 4) << key << "=" << value;
  }
  EXPECT_TRUE(calls.made.empty());
}

TEST_F(CniPluginTest, AnAgentThatIsDownIsTryAgainLater) {
  calls.fails = unavailable("unreachable", "the agent at http://127.0.0.1:8001 does not answer (connect: refused)");
  Outcome outcome = invoke(env("ADD"));
  EXPECT_EQ(code_of(outcome), 11);
  EXPECT_NE(parsed(outcome).at("msg").as_string().find("does not answer"), std::string::npos);
  EXPECT_EQ(code_of(invoke(env("DEL"))), 11);
}

TEST_F(CniPluginTest, AgentRefusalsMapToTheSpec) {
  calls.fails = not_found("unknown_network", "no network blue");
  EXPECT_EQ(code_of(invoke(env("ADD"))), 7);
  calls.fails = not_found("unknown_netns", "gone");
  EXPECT_EQ(code_of(invoke(env("ADD"))), 3);
  calls.fails = conflict("name_conflict", "pod1 is held on host2");
  Outcome outcome = invoke(env("ADD"));
  EXPECT_EQ(code_of(outcome), 100);
  EXPECT_EQ(parsed(outcome).at("details"), "name_conflict");
}

TEST_F(CniPluginTest, DelNeedsNoNamespace) {
  auto environment = env("DEL");
  environment.erase("CNI_NETNS");
  Outcome outcome = invoke(environment);
  EXPECT_EQ(outcome.exit_code, 0) << outcome.out;
  EXPECT_TRUE(outcome.out.empty());
  EXPECT_EQ(calls.made, std::vector<std::string>{"del"});
}

// A pod name no ADD could have registered (too long, one character) must not make DEL fail for
// ever: the runtime would never finish tearing the pod down.
TEST_F(CniPluginTest, DelWithANameNoAddCouldUseStillSucceeds) {
  auto environment = env("DEL");
  environment["CNI_ARGS"] = "K8S_POD_NAME=" + std::string(200, 'a');
  EXPECT_EQ(invoke(environment).exit_code, 0);
  EXPECT_EQ(calls.made, std::vector<std::string>{"del"});
  environment["CNI_COMMAND"] = "ADD";
  EXPECT_EQ(code_of(invoke(environment)), 4) << "but ADD refuses it";
}

TEST_F(CniPluginTest, CheckComparesThePreviousResult) {
  std::string with = R"({"cniVersion":"1.0.0","name":"n","type":"vxlan-cni","prevResult":{"ips":[{"address":"172.20.0.9/16"}]}})";
  EXPECT_EQ(invoke(env("CHECK"), with).exit_code, 0);
  std::string other = R"({"cniVersion":"1.0.0","name":"n","type":"vxlan-cni","prevResult":{"ips":[{"address":"172.20.0.8/16"}]}})";
  EXPECT_EQ(code_of(invoke(env("CHECK"), other)), 100);
  EXPECT_EQ(code_of(invoke(env("CHECK"))), 100);  // no prevResult
}

// Found by review: chained after another plugin, ADD dropped the result it was given, and added a
// second default route, which the kernel refuses.
TEST_F(CniPluginTest, AChainedAddAnswersThePreviousResultWithItsOwnAdded) {
  std::string chained = R"({"cniVersion":"1.1.0","name":"n","type":"vxlan-cni","prevResult":{
    "cniVersion":"1.1.0",
    "interfaces":[{"name":"cni0"},{"name":"eth0","sandbox":"/run/netns/c0ffee00"}],
    "ips":[{"address":"10.88.0.5/16","gateway":"10.88.0.1","interface":1}],
    "routes":[{"dst":"0.0.0.0/0","gw":"10.88.0.1"}],
    "dns":{"nameservers":["10.88.0.1"],"domain":"pods.local","search":["pods.local"]}}})";
  auto environment = env("ADD");
  environment["CNI_IFNAME"] = "eth1";
  Outcome outcome = invoke(environment, chained);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.out;
  EXPECT_FALSE(calls.last_add.default_route);
  json::object result = parsed(outcome);
  json::array interfaces = result.at("interfaces").as_array();
  ASSERT_EQ(interfaces.size(), 4u);
  EXPECT_EQ(interfaces[0].at("name"), "cni0");
  EXPECT_EQ(interfaces[1].at("name"), "eth0");
  EXPECT_EQ(interfaces[2].at("name"), "vxc0123456789ab");
  EXPECT_EQ(interfaces[3].at("name"), "eth1");
  json::array ips = result.at("ips").as_array();
  ASSERT_EQ(ips.size(), 2u);
  EXPECT_EQ(ips[0].at("address"), "10.88.0.5/16");
  EXPECT_EQ(ips[0].at("interface"), 1);
  EXPECT_EQ(ips[1].at("address"), "172.20.0.9/16");
  EXPECT_EQ(ips[1].at("interface"), 3);
  EXPECT_EQ(result.at("routes"), (json::array{json::object{{"dst", "0.0.0.0/0"}, {"gw", "10.88.0.1"}}}));
  EXPECT_EQ(result.at("dns").at("nameservers"), (json::array{"10.88.0.1", "172.20.0.1"}));
  EXPECT_EQ(result.at("dns").at("domain"), "pods.local");
  EXPECT_EQ(result.at("dns").at("search"), (json::array{"pods.local"}));
}

// A default route in a table of its own (CNI 1.1's "table") leaves the main table's to us.
TEST_F(CniPluginTest, AChainedAddWithoutADefaultRouteBeforeItRoutesThroughTheGateway) {
  std::string chained = R"({"cniVersion":"1.0.0","name":"n","type":"vxlan-cni","prevResult":{
    "cniVersion":"1.0.0","interfaces":[{"name":"lo0"}],
    "routes":[{"dst":"10.0.0.0/8"},{"dst":"0.0.0.0/0","gw":"10.0.0.1","table":100}]}})";
  Outcome outcome = invoke(env("ADD"), chained);
  ASSERT_EQ(outcome.exit_code, 0) << outcome.out;
  EXPECT_TRUE(calls.last_add.default_route);
  json::object result = parsed(outcome);
  EXPECT_EQ(result.at("routes").as_array().size(), 3u);
  EXPECT_EQ(result.at("routes").as_array().at(2).at("gw"), "172.20.0.1");
  EXPECT_EQ(result.at("ips").as_array().at(0).at("interface"), 2);
}

TEST_F(CniPluginTest, APreviousResultNotOfTheSpecsTypesIsRefusedBeforeTheAgentIsAsked) {
  for (const char* prev : {R"({"interfaces":{}})", R"({"ips":[1]})", R"({"routes":"none"})", R"({"dns":[]})",
                           R"({"dns":{"nameservers":[1]}})", R"({"dns":{"search":"a"}})"}) {
    std::string config = std::string(R"({"cniVersion":"1.0.0","name":"n","type":"vxlan-cni","prevResult":)") + prev + "}";
    EXPECT_EQ(code_of(invoke(env("ADD"), config)), 7) << prev;
  }
  EXPECT_TRUE(calls.made.empty());
}

// Without the runtime's list every attachment would look stale: GC is refused, and asks nothing.
// The list's earlier name (libcni sends both) is read too.
TEST_F(CniPluginTest, GcNeedsTheListOfAttachmentsToKeep) {
  std::string bare = R"({"cniVersion":"1.1.0","name":"n","type":"vxlan-cni"})";
  EXPECT_EQ(code_of(invoke({{"CNI_COMMAND", "GC"}}, bare)), 7);
  EXPECT_TRUE(calls.made.empty());
  std::string older = R"({"cniVersion":"1.1.0","name":"n","type":"vxlan-cni",
                          "cni.dev/attachments":[{"containerID":"keep2","ifname":"eth1"}]})";
  EXPECT_EQ(invoke({{"CNI_COMMAND", "GC"}}, older).exit_code, 0);
  ASSERT_EQ(calls.last_gc.valid.size(), 1u);
  EXPECT_EQ(calls.last_gc.valid[0].ifname, "eth1");
  std::string empty = R"({"cniVersion":"1.1.0","name":"n","type":"vxlan-cni","cni.dev/valid-attachments":[]})";
  EXPECT_EQ(invoke({{"CNI_COMMAND", "GC"}}, empty).exit_code, 0);
  EXPECT_TRUE(calls.last_gc.valid.empty());
}

// The name goes into the kernel's label of each attachment, and GC finds them by it.
TEST_F(CniPluginTest, TheConfigurationsNameIsTheSpecs) {
  for (const char* name : {"", "-lead", "has space", "a/b"}) {
    std::string config = R"({"cniVersion":"1.0.0","name":")" + std::string(name) + R"(","type":"vxlan-cni"})";
    EXPECT_EQ(code_of(invoke(env("ADD"), config)), 7) << name;
  }
  EXPECT_EQ(code_of(invoke(env("ADD"), R"({"cniVersion":"1.0.0","name":")" + std::string(65, 'n') + R"(","type":"vxlan-cni"})")), 7);
  EXPECT_TRUE(calls.made.empty());
  EXPECT_EQ(invoke(env("ADD")).exit_code, 0);
  EXPECT_EQ(calls.last_add.config, "overlay");
}

TEST_F(CniPluginTest, StatusAndGcAreOneOneZeros) {
  std::string v110 = R"({"cniVersion":"1.1.0","name":"n","type":"vxlan-cni",
                         "cni.dev/valid-attachments":[{"containerID":"keep1","ifname":"eth0"}]})";
  EXPECT_EQ(invoke({{"CNI_COMMAND", "STATUS"}}, v110).exit_code, 0);
  EXPECT_EQ(invoke({{"CNI_COMMAND", "GC"}}, v110).exit_code, 0);
  ASSERT_EQ(calls.last_gc.valid.size(), 1u);
  EXPECT_EQ(calls.last_gc.valid[0].container_id, "keep1");
  EXPECT_EQ(calls.last_gc.config, "n");
  EXPECT_EQ(code_of(invoke({{"CNI_COMMAND", "STATUS"}})), 1);  // kConfig is 1.0.0
  calls.fails = unavailable("unhealthy", "ipam: down");
  EXPECT_EQ(code_of(invoke({{"CNI_COMMAND", "STATUS"}}, v110)), 50);
}

}  // namespace
}  // namespace vx::cni
