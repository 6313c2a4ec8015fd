// POST /container/{name}/ping on the fakes: the 200 answer's shape for an ICMP and a TCP check
// and for a target that answers nothing (still 200, reachable false); the probe runs with the
// container's PID and overlay address and the request's options, a target name resolved through
// the IPAM. Every 400 (malformed body, missing or mistyped fields, bad name, target, count,
// timeout or port) never reaches Docker, the IPAM or the prober; 404 unknown_container and
// unknown_target, 409 not_running, 503 when Docker, the IPAM or the probe fails. No check changes
// any state.
#include "agent_api_fixture.h"

namespace vx::agent {
namespace {

namespace json = boost::json;

class PingApiTest : public fakes::AgentApiTest {
 protected:
  PingApiTest() {
    a_ip = host.ipam.hold("web-a", host.self.host_id).ip_address;
    host.runtime.add_container("web-a", {{kManagedLabel, "true"}, {kHostLabel, host.self.host_id}}, a_ip);
    b_ip = host.ipam.hold("web-b", "host2").ip_address;
  }

  Answer ping(const std::string& body, const std::string& name = "web-a") {
    return call("POST", "/container/" + name + "/ping", {}, body);
  }

  std::string a_ip;
  std::string b_ip;
};

TEST_F(PingApiTest, IcmpCheckAnswersItsOutcome) {
  auto [status, body] = ping(R"({"target":"web-b"})");
  ASSERT_EQ(status, 200) << json::serialize(body);
  const json::object& out = body.as_object();
  EXPECT_EQ(out.at("container_name"), "web-a");
  EXPECT_EQ(out.at("host_id"), "host1");
  EXPECT_EQ(out.at("source_ip"), a_ip.c_str());
  EXPECT_EQ(out.at("target"), "web-b");
  EXPECT_EQ(out.at("target_ip"), b_ip.c_str());
  EXPECT_EQ(out.at("method"), "icmp");
  EXPECT_EQ(out.at("sent"), 3);
  EXPECT_EQ(out.at("received"), 3);
  EXPECT_EQ(out.at("reachable"), true);
  EXPECT_EQ(out.at("rtt_ms"), (json::array{0.25, 0.25, 0.25}));
  EXPECT_EQ(out.at("avg_rtt_ms"), 0.25);
  EXPECT_FALSE(out.contains("port"));
  EXPECT_FALSE(out.contains("error"));

  ASSERT_EQ(prober.checks.size(), 1u);
  const auto& check = prober.checks[0];
  EXPECT_EQ(check.pid, host.runtime.containers.at("web-a").info.pid);
  EXPECT_GT(check.pid, 0);
  EXPECT_EQ(check.target, fakes::ip(b_ip));
  EXPECT_EQ(check.options.source, fakes::ip(a_ip));
  EXPECT_EQ(check.options.count, 3);
  EXPECT_EQ(check.options.timeout, std::chrono::milliseconds(1000));
  EXPECT_FALSE(check.options.port);
}

TEST_F(PingApiTest, TcpCheckToAnAddressWithOptions) {
  auto [status, body] = ping(R"({"target":"10.1.2.3","count":2,"timeout_ms":250,"port":80})");
  ASSERT_EQ(status, 200) << json::serialize(body);
  const json::object& out = body.as_object();
  EXPECT_EQ(out.at("method"), "tcp");
  EXPECT_EQ(out.at("port"), 80);
  EXPECT_EQ(out.at("target"), "10.1.2.3");
  EXPECT_EQ(out.at("target_ip"), "10.1.2.3");
  EXPECT_EQ(out.at("sent"), 2);
  EXPECT_EQ(out.at("received"), 2);
  EXPECT_EQ(out.at("reachable"), true);
  EXPECT_EQ(host.ipam.faults.calls("container"), 0) << "an address needs no lookup";

  ASSERT_EQ(prober.checks.size(), 1u);
  const auto& options = prober.checks[0].options;
  EXPECT_EQ(options.count, 2);
  EXPECT_EQ(options.timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(options.port, std::optional<uint16_t>(80));
}

TEST_F(PingApiTest, NoAnswerIsStillA200) {
  prober.unreachable.insert(fakes::ip(b_ip));
  auto [status, body] = ping(R"({"target":"web-b","count":1,"timeout_ms":null,"port":null})");
  ASSERT_EQ(status, 200) << json::serialize(body);
  const json::object& out = body.as_object();
  EXPECT_EQ(out.at("method"), "icmp");
  EXPECT_EQ(out.at("sent"), 1);
  EXPECT_EQ(out.at("received"), 0);
  EXPECT_EQ(out.at("reachable"), false);
  EXPECT_EQ(out.at("rtt_ms"), json::array());
  EXPECT_FALSE(out.contains("avg_rtt_ms"));
  EXPECT_FALSE(out.contains("error"));
}

TEST_F(PingApiTest, BadRequestsAre400AndProbeNothing) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"", "invalid_json"},
      {"{", "invalid_json"},
      {R"(["web-b"])", "invalid_json"},
      {"{}", "missing_field"},
      {R"({"target":null})", "missing_field"},
      {R"({"target":5})", "wrong_type"},
      {R"({"target":"web-b","count":"3"})", "wrong_type"},
      {R"({"target":"web-b","count":2.5})", "wrong_type"},
      {R"({"target":"web-b","timeout_ms":true})", "wrong_type"},
      {R"({"target":"web-b","port":"80"})", "wrong_type"},
      {R"({"target":""})", "invalid_target"},
      {R"({"target":"-b"})", "invalid_target"},
      {R"({"target":"b c"})", "invalid_target"},
      {R"({"target":"10.0.0.256"})", "invalid_target"},
      {R"({"target":"10.0.0"})", "invalid_target"},
      {R"({"target":"0.0.0.0"})", "invalid_target"},
      {R"({"target":"224.0.0.1"})", "invalid_target"},
      {R"({"target":"255.255.255.255"})", "invalid_target"},
      {R"({"target":"web-b","count":0})", "invalid_count"},
      {R"({"target":"web-b","count":11})", "invalid_count"},
      {R"({"target":"web-b","count":-1})", "invalid_count"},
      {R"({"target":"web-b","timeout_ms":99})", "invalid_timeout"},
      {R"({"target":"web-b","timeout_ms":5001})", "invalid_timeout"},
      {R"({"target":"web-b","port":0})", "invalid_port"},
      {R"({"target":"web-b","port":65536})", "invalid_port"},
      {R"({"target":"web-b","port":18446744073709551615})", "invalid_port"},
  };
  for (const auto& [body, code] : cases) {
    SCOPED_TRACE(body);
    expect_error(ping(body), 400, code);
  }
  expect_error(ping(R"({"target":"web-b"})", "-web-a"), 400, "invalid_name");
  expect_error(ping(R"({"target":"web-b"})", "web-a!"), 400, "invalid_name");
  EXPECT_TRUE(prober.checks.empty());
  EXPECT_EQ(host.runtime.faults.calls("inspect_container"), 0);
  EXPECT_EQ(host.ipam.faults.calls("container"), 0);
}

TEST_F(PingApiTest, LimitsAreInclusive) {
  ASSERT_EQ(ping(R"({"target":"web-b","count":10,"timeout_ms":100,"port":1})").first, 200);
  ASSERT_EQ(ping(R"({"target":"web-b","count":1,"timeout_ms":5000,"port":65535})").first, 200);
  ASSERT_EQ(prober.checks.size(), 2u);
  EXPECT_EQ(prober.checks[0].options.count, 10);
  EXPECT_EQ(prober.checks[1].options.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(prober.checks[1].options.port, std::optional<uint16_t>(65535));
}

TEST_F(PingApiTest, UnknownContainerIs404) {
  expect_error(ping(R"({"target":"web-b"})", "nosuch"), 404, "unknown_container");
  host.runtime.add_container("handmade", {});
  expect_error(ping(R"({"target":"web-b"})", "handmade"), 404, "unknown_container");
  EXPECT_TRUE(prober.checks.empty());
}

TEST_F(PingApiTest, TargetNameTheIpamDoesNotHoldIs404) {
  expect_error(ping(R"({"target":"nosuch"})"), 404, "unknown_target");
  EXPECT_EQ(host.ipam.faults.calls("container"), 1);
  EXPECT_TRUE(prober.checks.empty());
}

TEST_F(PingApiTest, StoppedContainerIs409) {
  auto& info = host.runtime.containers.at("web-a").info;
  info.state = "exited";
  info.pid = 0;
  expect_error(ping(R"({"target":"web-b"})"), 409, "not_running");
  EXPECT_TRUE(prober.checks.empty());
}

TEST_F(PingApiTest, DockerIpamOrProbeFailuresAre503) {
  host.ipam.down = true;
  expect_error(ping(R"({"target":"web-b"})"), 503, "ipam_unavailable");
  host.ipam.down = false;
  host.runtime.down = true;
  expect_error(ping(R"({"target":"web-b"})"), 503, "docker_unavailable");
  host.runtime.down = false;
  EXPECT_TRUE(prober.checks.empty());

  prober.faults.fail("probe", unavailable("probe_failed", "cannot enter the network namespace of process 4001"));
  auto failed = ping(R"({"target":"web-b"})");
  expect_error(failed, 503, "probe_failed");
  EXPECT_EQ(failed.second.at("detail"), "cannot enter the network namespace of process 4001");
}

TEST_F(PingApiTest, ChecksChangeNothing) {
  prober.unreachable.insert(fakes::ip("10.9.9.9"));
  ping(R"({"target":"web-b"})");
  ping(R"({"target":"10.9.9.9","port":443})");
  ping(R"({"target":"nosuch"})");
  ping(R"({"target":"web-b"})", "nosuch");
  prober.faults.fail("probe", unavailable("probe_failed", "no"));
  ping(R"({"target":"web-b"})");
  EXPECT_EQ(prober.checks.size(), 3u);
  for (const char* call : {"allocate", "release", "record_endpoint", "register_host"}) {
    EXPECT_EQ(host.ipam.faults.calls(call), 0) << call;
  }
  for (const char* call : {"create_container", "start_container", "remove_container", "create_network",
                           "remove_network", "exec"}) {
    EXPECT_EQ(host.runtime.faults.calls(call), 0) << call;
  }
  EXPECT_EQ(host.dataplane.changes(), 0);
  EXPECT_EQ(host.runtime.containers.at("web-a").info.state, "running");
  EXPECT_EQ(host.ipam.names.at("web-a").ip_address, a_ip);
}

}  // namespace
}  // namespace vx::agent
