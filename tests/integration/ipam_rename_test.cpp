// POST /container/{name}/rename on a real IPAM and Redis: an entry moves to another name with its
// address, MAC and network, as a delete and a put in the feed; every refusal changes nothing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

namespace json = boost::json;

std::string rename_body(const std::string& host, const std::string& to) {
  return json::serialize(json::object{{"host_id", host}, {"container_name", to}});
}

class IpamRename : public ::testing::Test {
 protected:
  // The registry's hashes and the default pool's sets: what a refusal must leave as it was.
  std::string registry() {
    std::string out;
    for (const char* key : {"container_ips", "container_hosts", "ip_containers", "vxlan:container_macs",
                            "vxlan:mac_containers", "vxlan:container_networks"}) {
      auto entries = client_.list({"HGETALL", key});
      std::sort(entries.begin(), entries.end());
      for (const auto& entry : entries) out += entry + ",";
      out += "|";
    }
    return out + std::to_string(client_.integer({"SCARD", "available_ips"}));
  }

  RedisServer redis_;
  IpamDaemon ipam_{redis_.url()};
  RedisClient client_ = redis_.client();
};

TEST_F(IpamRename, AnEntryMovesWithItsAddressAndMac) {
  auto held = ipam_.allocate("vxlan-docker.host1.1", "host1");
  ASSERT_EQ(held.status, 200) << held.raw;
  std::string address = std::string(held.body.at("ip_address").as_string());
  auto recorded = ipam_.post("/container/vxlan-docker.host1.1/endpoint",
                             R"({"host_id":"host1","mac_address":"02:42:0a:00:00:07"})");
  ASSERT_EQ(recorded.status, 200) << recorded.raw;
  auto before = ipam_.get("/peers");
  ASSERT_EQ(before.status, 200) << before.raw;
  uint64_t revision = before.body.at("revision").to_number<uint64_t>();

  auto renamed = ipam_.post("/container/vxlan-docker.host1.1/rename", rename_body("host1", "web"));
  ASSERT_EQ(renamed.status, 200) << renamed.raw;
  EXPECT_EQ(renamed.body.at("container_name"), "web");
  EXPECT_EQ(renamed.body.at("ip_address"), json::value(address));
  EXPECT_EQ(renamed.body.at("mac_address"), "02:42:0a:00:00:07");

  EXPECT_EQ(client_.get({"HGET", "container_ips", "web"}).value_or(""), address);
  EXPECT_EQ(client_.get({"HGET", "container_hosts", "web"}).value_or(""), "host1");
  EXPECT_EQ(client_.get({"HGET", "ip_containers", address}).value_or(""), "web");
  EXPECT_EQ(client_.get({"HGET", "vxlan:mac_containers", "02:42:0a:00:00:07"}).value_or(""), "web");
  EXPECT_FALSE(client_.get({"HGET", "container_ips", "vxlan-docker.host1.1"}));
  EXPECT_EQ(client_.integer({"SISMEMBER", "allocated_ips", address}), 1);
  EXPECT_EQ(client_.integer({"SISMEMBER", "available_ips", address}), 0);

  auto changes = ipam_.get("/peers?since=" + std::to_string(revision) + "&wait=0");
  ASSERT_EQ(changes.status, 200) << changes.raw;
  const auto& list = changes.body.at("changes").as_array();
  ASSERT_EQ(list.size(), 2u) << changes.raw;
  EXPECT_EQ(list[0].at("op"), "delete");
  EXPECT_EQ(list[0].at("container_name"), "vxlan-docker.host1.1");
  EXPECT_EQ(list[1].at("op"), "put");
  EXPECT_EQ(list[1].at("container_name"), "web");
  EXPECT_EQ(list[1].at("mac_address"), "02:42:0a:00:00:07");
  EXPECT_EQ(list[1].at("ip_address"), json::value(address));

  auto found = ipam_.get("/container/web");
  EXPECT_EQ(found.status, 200) << found.raw;
}

TEST_F(IpamRename, AnEntryOnANetworkStaysOnIt) {
  ASSERT_EQ(ipam_.post("/networks", R"({"name":"blue","subnet":"10.30.0.0/24"})").status, 201);
  auto held = ipam_.post("/allocate", R"({"container_name":"tmp1","host_id":"host1","network":"blue"})");
  ASSERT_EQ(held.status, 200) << held.raw;
  auto renamed = ipam_.post("/container/tmp1/rename", rename_body("host1", "api"));
  ASSERT_EQ(renamed.status, 200) << renamed.raw;
  EXPECT_EQ(renamed.body.at("network"), "blue");
  EXPECT_EQ(client_.get({"HGET", "vxlan:container_networks", "api"}).value_or(""), "blue");
  EXPECT_FALSE(client_.get({"HGET", "vxlan:container_networks", "tmp1"}));
}

TEST_F(IpamRename, RefusalsChangeNothing) {
  ASSERT_EQ(ipam_.allocate("tmp1", "host1").status, 200);
  ASSERT_EQ(ipam_.allocate("web", "host2").status, 200);
  std::string before = registry();
  struct Case {
    std::string name;
    std::string body;
    int status;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"tmp1", rename_body("host1", "web"), 409, "name_conflict"},      // held on another host
           {"tmp1", rename_body("host2", "other"), 409, "host_mismatch"},    // not the caller's
           {"nothing", rename_body("host1", "other"), 404, "unknown_container"},
           {"tmp1", rename_body("host1", "-bad"), 400, "invalid_name"},
           // Found by a hostile run: `docker run --name vxlan-gateway.host1` renamed its entry onto
           // the host's gateway, whose address then went back to the pool under its bridge.
           {"tmp1", rename_body("host1", "vxlan-gateway.host1"), 400, "reserved_name"},
           {"tmp1", rename_body("host1", "vxlan-docker.host1.2"), 400, "reserved_name"},
           {"tmp1", rename_body("host 1", "other"), 400, "invalid_host_id"},
           {"tmp1", R"({"host_id":"host1"})", 400, "missing_field"},
           {"tmp1", "not json", 400, "invalid_json"},
       }) {
    auto answer = ipam_.post("/container/" + c.name + "/rename", c.body);
    EXPECT_EQ(answer.status, c.status) << c.body << " -> " << answer.raw;
    EXPECT_EQ(answer.body.at("error"), json::value(c.error)) << answer.raw;
    EXPECT_TRUE(answer.body.as_object().contains("detail")) << answer.raw;
    EXPECT_EQ(registry(), before) << c.body;
  }
}

}  // namespace
}  // namespace vx::test
