// The agent's HTTP mapping (make_agent_router) on the fakes: POST /create_container with query
// parameters (the seed's form) and with a JSON body, its 400s (bad name, missing image, bad JSON)
// that never reach the IPAM, 503 before the host is set up, the service's errors as their statuses
// (unknown image 400, name on another host 409); DELETE /container/{name} and its 404; GET
// /containers and /container/{name} for managed containers only; /health 200 when everything
// answers and 503 with each reason when Docker, the IPAM or the VXLAN device is not right.
#include "agent/host_setup.h"
#include "agent_api_fixture.h"

namespace vx::agent {
namespace {

namespace json = boost::json;

class AgentApiTest : public fakes::AgentApiTest {
 protected:
  static std::vector<std::string> reasons(const json::value& health) {
    std::vector<std::string> out;
    for (const auto& reason : health.at("detail").as_array()) out.emplace_back(reason.as_string());
    return out;
  }
};

TEST_F(AgentApiTest, CreateWithQueryParameters) {
  auto [status, body] = create({{"container_name", "web"}, {"image", "alpine"}});
  ASSERT_EQ(status, 200) << json::serialize(body);
  EXPECT_EQ(body.at("success"), true);
  EXPECT_EQ(body.at("container_name"), "web");
  EXPECT_EQ(body.at("ip_address"), host.ipam.names.at("web").ip_address.c_str());
  EXPECT_EQ(body.at("mac_address"), host.runtime.containers.at("web").info.mac_address.c_str());
  EXPECT_EQ(body.at("container_id"), host.runtime.containers.at("web").info.id.c_str());
  EXPECT_EQ(body.at("host_id"), "host1");
  EXPECT_EQ(body.at("image"), "alpine");
  EXPECT_EQ(body.at("status"), "running");
}

// vxctl check reads the kernel's entries through GET /fdb, and --repair runs POST /sync: a lost
// entry is back at once, and a container the registry lost is reserved again at its address.
TEST_F(AgentApiTest, FdbListsTheKernelsEntriesAndSyncRepairsThem) {
  host.ipam.add_host("host2", "10.99.0.12");
  host.ipam.hold("remote", "host2", "02:42:ac:14:00:09");
  ASSERT_TRUE(fakes::run(host.reconciler.sync_fdb()));
  auto listed = call("GET", "/fdb");
  ASSERT_EQ(listed.first, 200);
  EXPECT_EQ(listed.second.as_array().size(), 2u) << boost::json::serialize(listed.second);

  host.dataplane.fdbs[host.self.vxlan_device].clear();
  ASSERT_EQ(create({{"container_name", "web"}, {"image", "alpine"}}).first, 200);
  std::string address = host.ipam.names.at("web").ip_address;
  host.ipam.names.erase("web");  // a Redis that lost it
  auto synced = call("POST", "/sync");
  EXPECT_EQ(synced.first, 200) << boost::json::serialize(synced.second);
  EXPECT_EQ(host.dataplane.fdbs[host.self.vxlan_device].size(), 2u);
  ASSERT_TRUE(host.ipam.names.count("web"));
  EXPECT_EQ(host.ipam.names.at("web").ip_address, address);

  setup.done = false;
  expect_error(call("POST", "/sync"), 503, "not_ready");
}

TEST_F(AgentApiTest, CreateWithAJsonBody) {
  auto [status, body] = call("POST", "/create_container", {}, R"({"container_name":"web","image":"alpine"})");
  ASSERT_EQ(status, 200) << json::serialize(body);
  EXPECT_EQ(body.at("container_name"), "web");
  EXPECT_EQ(body.at("ip_address"), host.ipam.names.at("web").ip_address.c_str());
}

TEST_F(AgentApiTest, BadCreateRequestsAre400AndNeverReachTheIpam) {
  expect_error(create({{"container_name", "-web"}, {"image", "alpine"}}), 400, "invalid_name");
  expect_error(create({{"container_name", "a/b"}, {"image", "alpine"}}), 400, "invalid_name");
  expect_error(create({{"container_name", "web"}}), 400, "missing_field");
  expect_error(create({{"image", "alpine"}}), 400, "missing_field");
  expect_error(create({{"container_name", "web"}, {"image", "al pine"}}), 400, "invalid_image");
  expect_error(call("POST", "/create_container", {}, R"({"container_name":"web"})"), 400, "missing_field");
  expect_error(call("POST", "/create_container", {}, "{"), 400, "invalid_json");
  EXPECT_EQ(host.ipam.faults.calls("allocate"), 0);
}

TEST_F(AgentApiTest, CreateBeforeSetupIs503) {
  setup = {false, "the IPAM does not answer", "", std::nullopt};
  expect_error(create({{"container_name", "web"}, {"image", "alpine"}}), 503, "not_ready");
  EXPECT_EQ(host.ipam.faults.calls("allocate"), 0);
}

TEST_F(AgentApiTest, ServiceErrorsKeepTheirStatus) {
  expect_error(create({{"container_name", "web"}, {"image", "nosuchimage"}}), 400, "unknown_image");
  host.ipam.hold("db", "host2");
  expect_error(create({{"container_name", "db"}, {"image", "alpine"}}), 409, "name_conflict");
  host.ipam.down = true;
  expect_error(create({{"container_name", "web"}, {"image", "alpine"}}), 503, "ipam_unavailable");
}

TEST_F(AgentApiTest, DeleteRemovesAndThenIs404) {
  ASSERT_EQ(create({{"container_name", "web"}, {"image", "alpine"}}).first, 200);
  auto [status, body] = call("DELETE", "/container/web");
  ASSERT_EQ(status, 200) << json::serialize(body);
  EXPECT_EQ(body.at("success"), true);
  EXPECT_EQ(body.at("container_name"), "web");
  EXPECT_EQ(body.at("status"), "removed");
  EXPECT_FALSE(host.runtime.containers.count("web"));
  EXPECT_FALSE(host.ipam.names.count("web"));
  expect_error(call("DELETE", "/container/web"), 404, "unknown_container");
  expect_error(call("DELETE", "/container/-bad"), 400, "invalid_name");
}

TEST_F(AgentApiTest, ListAndGetShowManagedContainersOnly) {
  ASSERT_EQ(create({{"container_name", "web"}, {"image", "alpine"}}).first, 200);
  ASSERT_EQ(create({{"container_name", "db"}, {"image", "alpine"}}).first, 200);
  host.runtime.add_container("handmade", {});
  auto [status, list] = call("GET", "/containers");
  ASSERT_EQ(status, 200);
  ASSERT_EQ(list.as_array().size(), 2u);
  EXPECT_EQ(list.as_array()[0].at("container_name"), "db");
  EXPECT_EQ(list.as_array()[1].at("container_name"), "web");
  auto [one, web] = call("GET", "/container/web");
  EXPECT_EQ(one, 200);
  EXPECT_EQ(web.at("ip_address"), host.ipam.names.at("web").ip_address.c_str());
  expect_error(call("GET", "/container/handmade"), 404, "unknown_container");
}

TEST_F(AgentApiTest, HealthyWhenEverythingAnswers) {
  auto [status, body] = call("GET", "/health");
  EXPECT_EQ(status, 200) << json::serialize(body);
  EXPECT_EQ(body.at("status"), "healthy");
  EXPECT_EQ(body.at("docker"), "ok");
  EXPECT_EQ(body.at("ipam"), "ok");
  EXPECT_EQ(body.at("vxlan"), "up");
  EXPECT_EQ(body.at("host_id"), "host1");
  EXPECT_EQ(body.at("mtu"), 1450);
  EXPECT_EQ(body.at("gateway"), setup.gateway.c_str());
  EXPECT_FALSE(body.as_object().contains("detail"));
  ASSERT_TRUE(body.as_object().contains("warnings"));  // healthy, but open to anyone who reaches it
  EXPECT_EQ(body.at("warnings").at(0), warning.c_str());
}

TEST_F(AgentApiTest, HealthSaysHowLongAgoTheFeedAnswered) {
  EXPECT_TRUE(call("GET", "/health").second.at("feed_answer_age_ms").is_null());  // not yet
  ASSERT_TRUE(fakes::run(host.reconciler.sync_fdb()).ok());
  auto [status, body] = call("GET", "/health");
  ASSERT_TRUE(body.at("feed_answer_age_ms").is_int64()) << json::serialize(body);
  EXPECT_LT(body.at("feed_answer_age_ms").as_int64(), 5000);
  EXPECT_EQ(body.at("revision"), host.ipam.revision());
  EXPECT_EQ(body.at("snapshots"), 1);
}

TEST_F(AgentApiTest, UnhealthyWithEachReason) {
  host.runtime.down = true;
  EXPECT_EQ(call("GET", "/health").first, 200);  // a request calls nobody: the loops' last look holds
  look();
  auto [status, body] = call("GET", "/health");
  EXPECT_EQ(status, 503);
  EXPECT_EQ(body.at("status"), "unhealthy");
  EXPECT_EQ(body.at("docker"), "down");
  EXPECT_EQ(body.at("ipam"), "ok");
  ASSERT_EQ(reasons(body).size(), 1u);
  EXPECT_TRUE(reasons(body)[0].starts_with("docker: ")) << reasons(body)[0];

  host.ipam.down = true;
  host.dataplane.vxlans.at(host.self.vxlan_device).up = false;
  setup = {false, "registering", "", std::nullopt};
  look();
  auto [all_status, all] = call("GET", "/health");
  EXPECT_EQ(all_status, 503);
  EXPECT_EQ(all.at("ipam"), "down");
  EXPECT_EQ(all.at("vxlan"), "down");
  std::vector<std::string> expected_prefixes{"docker: ", "ipam: ", "setup: registering", "vxlan0 is not up"};
  ASSERT_EQ(reasons(all).size(), expected_prefixes.size());
  for (size_t i = 0; i < expected_prefixes.size(); ++i) {
    EXPECT_TRUE(reasons(all)[i].starts_with(expected_prefixes[i])) << reasons(all)[i];
  }
}

// Found by a hostile probe: an underlay address on no device was accepted, and health stayed green
// while every peer's traffic to this host was black-holed.
TEST_F(AgentApiTest, HealthSaysWhenTheUnderlayAddressLeftTheDevice) {
  EXPECT_EQ(call("GET", "/health").second.at("underlay"), "ok");
  host.dataplane.underlays.at(host.self.underlay_device).addresses = {*Ipv4::parse("10.99.0.12")};
  auto [status, body] = call("GET", "/health");
  EXPECT_EQ(status, 503);
  EXPECT_EQ(body.at("underlay"), "down");
  ASSERT_EQ(reasons(body).size(), 1u);
  EXPECT_EQ(reasons(body)[0], "underlay: 10.99.0.11 is no longer an address of eth0 (it has 10.99.0.12)");
}

// Found by a hostile probe: from inside a container, POST http://<gateway>:8001/create_container
// created a container. The agent refuses every request from an address of the overlay.
TEST_F(AgentApiTest, ContainersMayNotDriveTheAgent) {
  setup.overlay = Cidr::parse("172.20.0.0/16").value();
  for (const char* path : {"/health", "/containers", "/create_container"}) {
    HttpRequest request{path == std::string("/create_container") ? "POST" : "GET", path, {path + 1}, {}, "", {},
                        Ipv4::parse("172.20.0.9").value(), ""};
    HttpResponse response = fakes::run(router->handle(request));
    EXPECT_EQ(response.status, 403) << path << ": " << response.body;
    EXPECT_NE(response.body.find("forbidden_source"), std::string::npos) << response.body;
  }
  EXPECT_EQ(host.runtime.faults.calls("create_container"), 0);
  HttpRequest from_underlay{"GET", "/health", {"health"}, {}, "", {}, Ipv4::parse("10.99.0.12").value(), ""};
  EXPECT_EQ(fakes::run(router->handle(from_underlay)).status, 200);
}

TEST(IdentifyHost, TheUnderlayAddressMustBeOneOfTheDevices) {
  fakes::FakeDataplane dataplane;
  dataplane.underlays["eth0"] = {{*Ipv4::parse("10.99.0.11"), *Ipv4::parse("10.99.5.5")}, 9000, 2};
  AgentConfig config{};
  config.host_id = "host1";
  config.underlay_device = "eth0";
  config.listen = {"0.0.0.0", 8001};
  auto first = identify_host(config, dataplane);
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(first->underlay_ip.to_string(), "10.99.0.11");
  EXPECT_EQ(first->agent_url, "http://10.99.0.11:8001");
  EXPECT_EQ(first->overlay_mtu(), 8950);

  config.underlay_ip = *Ipv4::parse("10.99.5.5");
  auto second = identify_host(config, dataplane);
  ASSERT_TRUE(second) << second.error().detail;
  EXPECT_EQ(second->underlay_ip.to_string(), "10.99.5.5");

  config.underlay_ip = *Ipv4::parse("10.123.0.1");
  auto elsewhere = identify_host(config, dataplane);
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().code, "underlay_ip_not_on_device");
  EXPECT_NE(elsewhere.error().detail.find("10.99.0.11, 10.99.5.5"), std::string::npos) << elsewhere.error().detail;
}

}  // namespace
}  // namespace vx::agent
