// The agent's metrics (agent/metrics.h) on fakes: what a scrape reads from Docker, the kernel and
// the view, and what the create and sync observations and the name server's counts add up to.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "agent/metrics.h"
#include "fakes.h"

namespace vx::agent {
namespace {

using fakes::FakeSandboxes;
using fakes::run;
using fakes::TestHost;

class AgentMetricsTest : public ::testing::Test {
 protected:
  std::string scrape() {
    HttpResponse response = run(agent_metrics.scrape());
    EXPECT_EQ(response.status, 200);
    return response.body;
  }
  static bool has(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  }

  TestHost host;
  FakeSandboxes sandboxes;
  CniService cni{host.self, host.ipam, host.networks, sandboxes, host.claims, host.runtime};
  boost::asio::io_context io;
  dns::Server names{io.get_executor(), [](std::string_view, std::string_view) { return dns::NameAnswer{}; }, {}};
  Metrics metrics;
  AgentMetrics agent_metrics{metrics,
                             {host.self, host.service, cni, host.networks, host.dataplane, host.reconciler, names}};
};

TEST_F(AgentMetricsTest, AScrapeReadsDockerTheKernelAndTheView) {
  ASSERT_TRUE(run(host.service.create("web", "alpine", "vxlan-net")).ok());
  ASSERT_TRUE(run(host.service.create("db", "alpine", "vxlan-net")).ok());
  host.ipam.add_host("host2", "10.99.0.12");
  host.ipam.add_host("host3", "10.99.0.13", false);
  host.ipam.hold("remote", "host2", "02:42:ac:14:00:09");
  ASSERT_TRUE(run(host.reconciler.sync_fdb()).ok());
  ASSERT_TRUE(run(cni.add("c0ffee00", "eth0", {"/run/netns/x", "vxlan-net", "pod1", "overlay"})).ok());
  std::string text = scrape();
  EXPECT_TRUE(has(text, R"(vxlan_agent_containers{network="vxlan-net"} 2)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_agent_cni_attachments{network="vxlan-net"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_agent_peers{state="alive"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_agent_peers{state="quiet"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_agent_fdb_entries{kind="flood",network="vxlan-net"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_agent_fdb_entries{kind="unicast",network="vxlan-net"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_agent_fdb_entries{kind="neighbour",network="vxlan-net"} 1)")) << text;
  ASSERT_TRUE(run(host.service.remove("db")).ok());
  EXPECT_TRUE(has(scrape(), R"(vxlan_agent_containers{network="vxlan-net"} 1)"));
}

TEST_F(AgentMetricsTest, ObservationsAddUp) {
  agent_metrics.created(0.5);
  agent_metrics.synced(0.002, true);
  agent_metrics.synced(0.003, false);
  std::string text = scrape();
  EXPECT_TRUE(has(text, "vxlan_agent_create_duration_seconds_count 1")) << text;
  EXPECT_TRUE(has(text, "vxlan_agent_sync_duration_seconds_count 2")) << text;
  EXPECT_TRUE(has(text, "vxlan_agent_sync_errors_total 1")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_agent_dns_queries_total{result="answered"} 0)")) << text;
  EXPECT_TRUE(has(scrape(), "vxlan_agent_sync_errors_total 1")) << "a scrape counts nothing twice";
}

}  // namespace
}  // namespace vx::agent
