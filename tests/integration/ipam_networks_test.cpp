// Networks on a real IPAM and Redis: creating, listing and deleting them, allocations on each with
// its own pool and keys, names unique across them, and every refusal changing nothing.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/ipam_daemon.h"
#include "support/redis_server.h"

namespace vx::test {
namespace {

namespace json = boost::json;

std::string network_body(const std::string& name, const std::string& subnet, std::optional<int64_t> vni = {}) {
  json::object body{{"name", name}, {"subnet", subnet}};
  if (vni) body["vni"] = *vni;
  return json::serialize(body);
}

std::string alloc_body(const std::string& name, const std::string& host, const std::string& network) {
  return json::serialize(json::object{{"container_name", name}, {"host_id", host}, {"network", network}});
}

class IpamNetworks : public ::testing::Test {
 protected:
  JsonResponse create(const std::string& name, const std::string& subnet, std::optional<int64_t> vni = {}) {
    return ipam_.post("/networks", network_body(name, subnet, vni));
  }
  JsonResponse remove(const std::string& name) { return http_json(ipam_.port(), "DELETE", "/networks/" + name); }
  // Every key the IPAM keeps, with its contents: what a refused request must leave as it was.
  std::string everything() {
    std::string out;
    auto keys = client_.list({"KEYS", "*"});
    std::sort(keys.begin(), keys.end());
    for (const auto& key : keys) {
      if (key == "vxlan:lifetime" || key == "vxlan:changes" || key == "vxlan:revision") continue;
      out += key + "=" + client_.get({"DUMP", key}).value_or("") + ";";
    }
    return out;
  }

  RedisServer redis_;
  IpamDaemon ipam_{redis_.url()};
  RedisClient client_ = redis_.client();
};

TEST_F(IpamNetworks, ANetworkIsCreatedOnceWithItsOwnPoolAndKeys) {
  auto created = create("blue", "10.30.0.0/24");
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.body.at("name"), "blue");
  EXPECT_EQ(created.body.at("subnet"), "10.30.0.0/24");
  EXPECT_EQ(created.body.at("vni"), 4097);  // the lowest free from 4097 when none is asked for
  EXPECT_EQ(created.body.at("range_start"), "10.30.0.1");
  EXPECT_EQ(created.body.at("range_end"), "10.30.0.254");
  EXPECT_EQ(created.body.at("total_ips"), 254);
  EXPECT_EQ(client_.integer({"SCARD", "vxlan:net:blue:available"}), 254);
  EXPECT_EQ(client_.get({"HGET", "vxlan:networks", "blue"}).value_or(""), "4097");
  EXPECT_EQ(client_.get({"HGET", "vxlan:network_vnis", "4097"}).value_or(""), "blue");
  EXPECT_EQ(client_.integer({"SCARD", "available_ips"}), 65534) << "the default network's pool is its own";

  auto again = create("blue", "10.30.0.0/24");
  EXPECT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body.at("vni"), 4097);
  auto second = create("green", "10.31.0.0/24");
  EXPECT_EQ(second.body.at("vni"), 4098);
  auto chosen = create("red", "10.32.0.0/24", 7);
  EXPECT_EQ(chosen.status, 201) << chosen.raw;
  EXPECT_EQ(chosen.body.at("vni"), 7);
}

TEST_F(IpamNetworks, ClashesAreConflictsAndChangeNothing) {
  ASSERT_EQ(create("blue", "10.30.0.0/24", 200).status, 201);
  auto host = ipam_.post("/hosts", R"({"host_id":"host1","underlay_ip":"10.99.0.11","agent_url":"http://10.99.0.11:8001"})");
  ASSERT_EQ(host.status, 200) << host.raw;
  std::string before = everything();
  struct Case {
    std::string body;
    int status;
    std::string error;
  };
  for (const Case& clash : {
           Case{network_body("blue", "10.30.1.0/24"), 409, "network_exists"},
           Case{network_body("blue", "10.30.0.0/24", 201), 409, "network_exists"},
           Case{network_body("green", "10.30.0.128/25"), 409, "subnet_overlap"},
           Case{network_body("green", "10.30.0.0/16"), 409, "subnet_overlap"},
           Case{network_body("green", "172.20.5.0/24"), 409, "subnet_overlap"},  // inside the default's
           Case{network_body("green", "10.40.0.0/24", 200), 409, "vni_taken"},
           Case{network_body("green", "10.40.0.0/24", 100), 409, "vni_taken"},  // the default's
           Case{network_body("vxlan-net", "10.40.0.0/24"), 400, "default_network"},
           Case{network_body("green", "127.0.0.0/24"), 400, "invalid_subnet"},
           Case{network_body("green", "169.254.0.0/24"), 400, "invalid_subnet"},
           Case{network_body("green", "224.1.0.0/24"), 400, "invalid_subnet"},
           Case{network_body("green", "64.0.0.0/2"), 400, "invalid_subnet"},  // would refuse half the internet
           Case{network_body("green", "10.40.0.0/15"), 400, "invalid_subnet"},
           Case{network_body("green", "10.99.0.0/24"), 409, "subnet_overlap"},  // host1's underlay
           Case{network_body("bad.name", "10.40.0.0/24"), 400, "invalid_network"},
           Case{network_body("green", "10.40.0.1/24"), 400, "invalid_cidr"},
           Case{network_body("green", "10.40.0.0/24", 0), 400, "invalid_vni"},
           Case{network_body("green", "10.40.0.0/24", 16777216), 400, "invalid_vni"},
           Case{R"({"name":"green"})", 400, "missing_field"},
           Case{R"({"name":"green","subnet":"10.40.0.0/24","range_start":"10.41.0.1"})", 400, "invalid_pool"},
       }) {
    auto refused = ipam_.post("/networks", clash.body);
    EXPECT_EQ(refused.status, clash.status) << clash.body << " -> " << refused.raw;
    EXPECT_EQ(text(refused.body.at("error")), clash.error) << clash.body << " -> " << refused.raw;
    EXPECT_TRUE(refused.body.as_object().contains("detail"));
  }
  EXPECT_EQ(everything(), before);
}

TEST_F(IpamNetworks, AllocationsComeFromTheirNetworkAndNamesAreUniqueAcrossNetworks) {
  ASSERT_EQ(create("blue", "10.30.0.0/24").status, 201);
  auto web = ipam_.post("/allocate", alloc_body("web", "host1", "blue"));
  ASSERT_EQ(web.status, 200) << web.raw;
  std::string address = text(web.body.at("ip_address"));
  EXPECT_TRUE(address.starts_with("10.30.0.")) << address;
  EXPECT_EQ(web.body.at("network"), "blue");
  EXPECT_EQ(client_.integer({"SISMEMBER", "vxlan:net:blue:allocated", address}), 1);
  EXPECT_EQ(client_.get({"HGET", "container_ips", "web"}).value_or(""), address) << "the name registry is the cluster's";
  EXPECT_EQ(client_.get({"HGET", "vxlan:container_networks", "web"}).value_or(""), "blue");

  auto other = ipam_.post("/allocate", alloc_body("web", "host1", "vxlan-net"));
  EXPECT_EQ(other.status, 409) << other.raw;
  EXPECT_EQ(other.body.at("error"), "name_conflict");
  auto unknown = ipam_.post("/allocate", alloc_body("db", "host1", "nowhere"));
  EXPECT_EQ(unknown.status, 404) << unknown.raw;
  EXPECT_EQ(unknown.body.at("error"), "unknown_network");

  auto found = ipam_.get("/container/web");
  EXPECT_EQ(found.body.at("network"), "blue");
  auto checked = ipam_.get("/check/web");
  EXPECT_EQ(checked.body.at("exists"), true);
  EXPECT_EQ(checked.body.at("network"), "blue");
  auto listed = ipam_.get("/containers?network=blue");
  ASSERT_EQ(listed.body.as_array().size(), 1u) << listed.raw;
  EXPECT_EQ(ipam_.get("/containers?network=vxlan-net").body.as_array().size(), 0u);
  auto stats = ipam_.get("/stats?network=blue");
  EXPECT_EQ(stats.body.at("allocated_ips"), 1);
  EXPECT_EQ(stats.body.at("available_ips"), 253);
  EXPECT_EQ(ipam_.get("/stats").body.at("allocated_ips"), 0);
  EXPECT_EQ(ipam_.get("/stats?network=nowhere").status, 404);
  EXPECT_EQ(ipam_.get("/stats?network=bad.name").status, 400);

  auto peers = ipam_.get("/peers");
  bool seen = false;
  for (const auto& endpoint : peers.body.at("endpoints").as_array()) {
    if (endpoint.at("container_name") == "web") seen = endpoint.at("network") == "blue";
  }
  EXPECT_TRUE(seen) << peers.raw;

  auto mismatch = ipam_.post("/release", R"({"container_name":"web","network":"vxlan-net","host_id":"host1"})");
  EXPECT_EQ(mismatch.status, 409) << mismatch.raw;
  EXPECT_EQ(mismatch.body.at("error"), "network_mismatch");
  auto released = ipam_.release("web", "host1");
  ASSERT_EQ(released.status, 200) << released.raw;
  EXPECT_EQ(client_.integer({"SISMEMBER", "vxlan:net:blue:available", address}), 1);
  EXPECT_EQ(client_.integer({"HEXISTS", "vxlan:container_networks", "web"}), 0);
  EXPECT_EQ(ipam_.get("/stats?network=blue").body.at("available_ips"), 254);
}

TEST_F(IpamNetworks, ANetworkInUseIsNotDeletedAndItsGatewaysGoWithIt) {
  ASSERT_EQ(create("blue", "10.30.0.0/24").status, 201);
  ASSERT_EQ(ipam_.post("/allocate", alloc_body("vxlan-gateway-blue.host1", "host1", "blue")).status, 200);
  ASSERT_EQ(ipam_.post("/allocate", alloc_body("web", "host1", "blue")).status, 200);
  std::string before = everything();
  auto in_use = remove("blue");
  EXPECT_EQ(in_use.status, 409) << in_use.raw;
  EXPECT_EQ(in_use.body.at("error"), "network_in_use");
  EXPECT_EQ(everything(), before);
  EXPECT_EQ(remove("vxlan-net").status, 400);
  EXPECT_EQ(remove("nowhere").status, 404);
  EXPECT_EQ(remove("bad.name").status, 400);

  ASSERT_EQ(ipam_.release("web", "host1").status, 200);
  auto deleted = remove("blue");
  ASSERT_EQ(deleted.status, 200) << deleted.raw;
  EXPECT_EQ(client_.integer({"HEXISTS", "container_ips", "vxlan-gateway-blue.host1"}), 0);
  EXPECT_EQ(client_.integer({"EXISTS", "vxlan:net:blue:available"}), 0);
  EXPECT_EQ(client_.integer({"EXISTS", "vxlan:net:blue:pool"}), 0);
  EXPECT_EQ(client_.integer({"HEXISTS", "vxlan:network_vnis", "4097"}), 0);
  EXPECT_EQ(ipam_.get("/networks/blue").status, 404);
  // Its name and subnet are free again.
  EXPECT_EQ(create("blue", "10.30.0.0/24").status, 201);
}

// Found by a hostile review: after Redis lost everything, a network could be created before the
// default one was written again, over its keys, its subnet or its VNI, and addresses went out twice.
TEST_F(IpamNetworks, AfterAWipeTheDefaultNetworkComesBackFirst) {
  ASSERT_EQ(ipam_.allocate("web", "host1").status, 200);
  client_.list({"FLUSHALL"});
  for (const std::string& body : {network_body("blue", "172.20.5.0/30", 100), network_body("blue", "172.20.5.0/30"),
                                  network_body("blue", "10.30.0.0/24", 100)}) {
    auto refused = ipam_.post("/networks", body);
    EXPECT_EQ(refused.status, 409) << body << " -> " << refused.raw;
  }
  EXPECT_EQ(client_.get({"HGET", "vxlan:pool", "subnet"}).value_or(""), "172.20.0.0/16");
  EXPECT_EQ(client_.get({"HGET", "vxlan:network_vnis", "100"}).value_or(""), "vxlan-net");
  EXPECT_EQ(create("blue", "10.30.0.0/24").status, 201);
  auto stats = ipam_.get("/stats");
  EXPECT_EQ(stats.status, 200) << stats.raw;
}

// An agent writing back a network Redis lost: its pool is quarantined, so that only addresses asked
// for by name (the agents' re-reservations) go out until they are all back.
TEST_F(IpamNetworks, ARestoredNetworkIsQuarantined) {
  auto restored = ipam_.post("/networks", R"({"name":"blue","subnet":"10.30.0.0/24","vni":4321,"restore":true})");
  ASSERT_EQ(restored.status, 201) << restored.raw;
  EXPECT_EQ(restored.body.at("vni"), 4321);
  auto any = ipam_.post("/allocate", alloc_body("new", "host1", "blue"));
  EXPECT_EQ(any.status, 503) << any.raw;
  EXPECT_EQ(any.body.at("error"), "pool_quarantined");
  auto exact = ipam_.post("/allocate", R"({"container_name":"web","host_id":"host1","network":"blue","ip_address":"10.30.0.7"})");
  EXPECT_EQ(exact.status, 200) << exact.raw;
  // A network created by people is not.
  ASSERT_EQ(create("green", "10.31.0.0/24").status, 201);
  EXPECT_EQ(ipam_.post("/allocate", alloc_body("other", "host1", "green")).status, 200);
}

TEST_F(IpamNetworks, TheListingHasEveryNetworkWithItsFigures) {
  ASSERT_EQ(create("blue", "10.30.0.0/24").status, 201);
  ASSERT_EQ(ipam_.post("/allocate", alloc_body("web", "host1", "blue")).status, 200);
  auto listed = ipam_.get("/networks");
  ASSERT_EQ(listed.status, 200) << listed.raw;
  const auto& networks = listed.body.as_array();
  ASSERT_EQ(networks.size(), 2u);
  EXPECT_EQ(networks[0].at("name"), "blue");
  EXPECT_EQ(networks[0].at("allocated_ips"), 1);
  EXPECT_EQ(networks[1].at("name"), "vxlan-net");
  EXPECT_EQ(networks[1].at("vni"), 100);
  EXPECT_EQ(networks[1].at("subnet"), "172.20.0.0/16");
  EXPECT_EQ(networks[1].at("total_ips"), 65534);
  auto one = ipam_.get("/networks/vxlan-net");
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(one.body.at("available_ips"), 65534);
}

}  // namespace
}  // namespace vx::test
