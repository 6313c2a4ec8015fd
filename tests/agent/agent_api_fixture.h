// The agent's router (make_agent_router) on one TestHost and a FakeProber, set up, with helpers to
// call it as the HTTP server would and to check an error answer's shape.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "agent/api.h"
#include "fakes.h"

namespace vx::agent::fakes {

class AgentApiTest : public ::testing::Test {
 protected:
  using Query = std::map<std::string, std::string>;
  using Answer = std::pair<int, boost::json::value>;

  AgentApiTest()
      : setup{true, "", host.ipam.names.at(host.self.gateway_name()).ip_address, std::nullopt},
        router(make_agent_router({host.self, host.service, host.networks, host.runtime, host.ipam, host.dataplane, prober,
                                  host.reconciler, setup, monitor.observed(), warning})) {
    look();
  }

  // What the agent's loops do between requests: ping Docker, heartbeat to the IPAM.
  void look() {
    static_cast<void>(run(monitor.check_docker()));  // noted in monitor.observed()
    monitor.note_ipam(run(host.ipam.heartbeat(host.self.host_id)));
  }

  Answer call(const std::string& method, const std::string& path, Query query = {}, const std::string& body = "") {
    HttpRequest request{method, path, {}, std::move(query), body, {}, std::nullopt, ""};
    for (size_t start = 1; start < path.size();) {
      size_t slash = std::min(path.find('/', start), path.size());
      request.segments.push_back(path.substr(start, slash - start));
      start = slash + 1;
    }
    HttpResponse response = run(router->handle(request));
    boost::json::value parsed;
    EXPECT_NO_THROW(parsed = boost::json::parse(response.body)) << response.body;
    return {response.status, parsed};
  }

  Answer create(Query query) { return call("POST", "/create_container", std::move(query)); }

  static void expect_error(const Answer& answer, int status, const std::string& code) {
    EXPECT_EQ(answer.first, status) << boost::json::serialize(answer.second);
    ASSERT_TRUE(answer.second.is_object());
    EXPECT_EQ(answer.second.at("error"), code.c_str());
    EXPECT_TRUE(answer.second.at("detail").is_string());
  }

  TestHost host;
  FakeProber prober;
  SetupState setup;
  std::string warning = "serving without a token on 0.0.0.0:8001: anyone who reaches it may use the whole API";
  HealthMonitor monitor{host.runtime, std::chrono::milliseconds(500)};
  std::unique_ptr<Router> router;
};

}  // namespace vx::agent::fakes
