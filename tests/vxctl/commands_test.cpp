// vxctl's commands against a canned cluster: one HTTP server plays the IPAM and every agent, and
// answers what each test sets. Checks what people and scripts read: tables, JSON, exit statuses,
// and errors that keep the daemons' codes.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>

#include "common/http_server.h"
#include "proto/agent.h"
#include "vxctl/commands.h"
#include "vxctl/exit_status.h"

namespace vx::ctl {
namespace {

namespace json = boost::json;

HttpResponse canned(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// A daemon on loopback that answers what the test set for "METHOD TARGET", 404 otherwise, and
// records every request.
class CannedDaemon {
 public:
  CannedDaemon() {
    if (server_.listen_tcp("127.0.0.1", 0).ok()) {
      server_.start();
      thread_ = std::thread([this] { io_.run(); });
    }
  }
  ~CannedDaemon() {
    server_.shutdown([this] { io_.stop(); });
    if (thread_.joinable()) thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.tcp_port()); }
  void answer(const std::string& request, int status, std::string body) {
    std::lock_guard lock(mutex_);
    answers_[request] = canned(status, std::move(body));
  }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  struct Handler : RequestHandler {
    explicit Handler(CannedDaemon& daemon) : daemon(daemon) {}
    boost::asio::awaitable<HttpResponse> handle(const HttpRequest& request) override {
      co_return daemon.respond(request);
    }
    CannedDaemon& daemon;
  };

  HttpResponse respond(const HttpRequest& request) {
    std::string key = request.method + " " + request.target;
    std::lock_guard lock(mutex_);
    requests_.push_back(key + (request.body.empty() ? "" : " " + request.body));
    auto found = answers_.find(key);
    return found != answers_.end() ? found->second : canned(404, R"({"error":"unknown_path","detail":"no such path"})");
  }

  std::mutex mutex_;
  std::map<std::string, HttpResponse> answers_;
  std::vector<std::string> requests_;
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> busy_ = boost::asio::make_work_guard(io_);
  Handler handler_{*this};
  HttpServer server_{{}, {{io_.get_executor(), &handler_}}};
  std::thread thread_;
};

// An agent's answer for one container, as the agent encodes it.
std::string agent_container(const std::string& name, const std::string& status, const std::string& image,
                            const std::string& id, const std::string& ip = "172.20.0.5") {
  return json::serialize(proto::to_json(proto::Container{id, name, ip, "02:42:ac:14:00:05", "host1", image, status}));
}

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = ClusterClient::connect({ipam_.url(), "", std::chrono::milliseconds(2000)});
    ASSERT_TRUE(cluster.ok());
    cluster_.emplace(std::move(*cluster));
    // host2's agent is registered but nothing listens on its port.
    ipam_.answer("GET /hosts", 200,
                 R"([{"host_id":"host1","underlay_ip":"10.0.1.142","agent_url":")" + agent1_.url() +
                     R"(","heartbeat_age_ms":300,"alive":true,"containers":2},)"
                     R"({"host_id":"host2","underlay_ip":"10.0.1.6","agent_url":"http://127.0.0.1:1",)"
                     R"("heartbeat_age_ms":65000,"alive":false,"containers":1}])");
  }

  // Runs a command; what it printed is in out_ and warnings_.
  Result<int> run(const std::function<Result<int>(ClusterClient&, const Output&)>& command, bool json = false) {
    out_.str("");
    warnings_.str("");
    Output output{out_, warnings_, json};
    return command(*cluster_, output);
  }

  CannedDaemon ipam_;
  CannedDaemon agent1_;
  std::optional<ClusterClient> cluster_;
  std::ostringstream out_;
  std::ostringstream warnings_;
};

TEST_F(CommandsTest, HostsTableShowsAgeAndLiveness) {
  auto status = run(show_hosts);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(*status, kExitOk);
  std::string table = out_.str();
  EXPECT_NE(table.find("host1  10.0.1.142"), std::string::npos) << table;
  EXPECT_NE(table.find("0.3s ago   alive"), std::string::npos) << table;
  EXPECT_NE(table.find("65s ago    silent"), std::string::npos) << table;
}

TEST_F(CommandsTest, PsJoinsTheRegistryWithTheAgentsAndSurvivesASilentAgent) {
  ipam_.answer("GET /containers", 200,
               R"([{"container_name":"web1","ip_address":"172.20.0.5","host_id":"host1"},)"
               R"({"container_name":"web2","ip_address":"172.20.0.6","host_id":"host2"},)"
               R"({"container_name":"vxlan-gateway.host1","ip_address":"172.20.0.2","host_id":"host1"}])");
  agent1_.answer("GET /containers", 200,
                 "[" + agent_container("web1", "running", "nginx:alpine", "abc") + "]");
  auto status = run([](auto& cluster, auto& output) { return show_containers(cluster, output, false); }, true);
  ASSERT_TRUE(status.ok()) << status.error().detail;
  json::value listed = json::parse(out_.str());
  ASSERT_EQ(listed.as_array().size(), 2u) << out_.str();  // the gateway is left out
  EXPECT_EQ(listed.at(0).at("state"), "running");
  EXPECT_EQ(listed.at(0).at("image"), "nginx:alpine");
  EXPECT_EQ(listed.at(1).at("state"), "unknown");  // host2's agent does not answer
  EXPECT_NE(warnings_.str().find("http://127.0.0.1:1 does not answer"), std::string::npos) << warnings_.str();
}

TEST_F(CommandsTest, StatsShowsUseAsAPercentage) {
  ipam_.answer("GET /stats", 200,
                  R"({"total_ips":200,"allocated_ips":50,"available_ips":150,"network_subnet":"10.9.0.0/24"})");
  ASSERT_TRUE(run(show_stats).ok());
  EXPECT_EQ(out_.str(), "pool   10.9.0.0/24\ntotal  200\nused   50 (25.0%)\nfree   150\n");
}

TEST_F(CommandsTest, AnUnknownNameIsNotFoundAndAsksNoAgent) {
  ipam_.answer("GET /container/ghost", 404, R"({"error":"unknown_container","detail":"container 'ghost' holds no address"})");
  auto status = run([](auto& cluster, auto& output) { return remove_container(cluster, output, "ghost"); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(status.error().detail, "no container named 'ghost' in the cluster");
  EXPECT_TRUE(agent1_.requests().empty());
  for (const auto& request : ipam_.requests()) EXPECT_EQ(request.find("DELETE"), std::string::npos) << request;
}

TEST_F(CommandsTest, InvalidNamesNeverReachTheDaemons) {
  auto status = run([](auto& cluster, auto& output) { return inspect_container(cluster, output, "../stats"); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(exit_status_of(status.error().kind), kExitUsage);
  EXPECT_TRUE(ipam_.requests().empty());
}

TEST_F(CommandsTest, RunKeepsTheAgentsConflict) {
  agent1_.answer("POST /create_container", 409, R"({"error":"name_conflict","detail":"container name 'web2' is held by host 'host2'"})");
  RunCommand request{"web2", "nginx:alpine", "host1"};
  auto status = run([&](auto& cluster, auto& output) { return run_container(cluster, output, request); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(status.error().code, "name_conflict");
  EXPECT_TRUE(out_.str().empty());
}

TEST_F(CommandsTest, RunWithoutAHostPicksALiveOne) {
  agent1_.answer("POST /create_container", 200,
                  agent_container("web3", "running", "nginx:alpine", "0123456789abcdef", "172.20.0.9"));
  RunCommand request{"web3", "nginx:alpine", ""};
  auto status = run([&](auto& cluster, auto& output) { return run_container(cluster, output, request); });
  ASSERT_TRUE(status.ok()) << status.error().detail;
  EXPECT_EQ(out_.str(), "web3 is running on host1 at 172.20.0.9 (container 0123456789ab)\n");
  EXPECT_EQ(agent1_.requests().back(), R"(POST /create_container {"container_name":"web3","image":"nginx:alpine"})");
}

TEST_F(CommandsTest, PingThatGetsNoAnswerExitsOne) {
  ipam_.answer("GET /container/web1", 200, R"({"container_name":"web1","ip_address":"172.20.0.5","host_id":"host1"})");
  agent1_.answer("POST /container/web1/ping", 200,
                  json::serialize(proto::to_json(proto::PingReport{"web1", "host1", "172.20.0.5", "web2", "172.20.0.6",
                                                                   std::nullopt, 2, {}})));
  PingCommand request{"web1", "web2", 2, 300, std::nullopt};
  auto status = run([&](auto& cluster, auto& output) { return ping_container(cluster, output, request); });
  ASSERT_TRUE(status.ok()) << status.error().detail;
  EXPECT_EQ(*status, kExitNo);
  EXPECT_EQ(out_.str(), "web1 (host1) -> web2 (172.20.0.6) icmp: 0 of 2 answered: UNREACHABLE\n");
  EXPECT_EQ(agent1_.requests().back(), R"(POST /container/web1/ping {"target":"web2","count":2,"timeout_ms":300})");
}

TEST_F(CommandsTest, StatesComeFromTheAgentOfTheContainersOwnHost) {
  ipam_.answer("GET /containers", 200,
               R"([{"container_name":"gone","ip_address":"172.20.0.5","host_id":"host1"},)"
               R"({"container_name":"web2","ip_address":"172.20.0.6","host_id":"host2"}])");
  // host1's agent answers without "gone", and with a leftover "web2" of its own, which must not
  // lend its state to host2's web2 (whose agent does not answer).
  agent1_.answer("GET /containers", 200, "[" + agent_container("web2", "running", "x", "def") + "]");
  ASSERT_TRUE(run([](auto& cluster, auto& output) { return show_containers(cluster, output, false); }, true).ok());
  json::value listed = json::parse(out_.str());
  EXPECT_EQ(listed.at(0).at("state"), "missing");
  EXPECT_EQ(listed.at(1).at("state"), "unknown");
  EXPECT_FALSE(listed.at(1).as_object().contains("image"));
}

TEST_F(CommandsTest, EachKindOfRefusalKeepsItsExitStatusAndSaysWho) {
  ipam_.answer("GET /stats", 401, R"({"error":"unauthorized","detail":"this cluster needs a token"})");
  auto refused = run(show_stats);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(exit_status_of(refused.error().kind), kExitUnauthorized);

  ipam_.answer("GET /container/web1", 200, R"({"container_name":"web1","ip_address":"172.20.0.5","host_id":"host1"})");
  agent1_.answer("GET /container/web1", 500, R"({"error":"internal_error","detail":"boom"})");
  agent1_.answer("DELETE /container/web1", 500, R"({"error":"internal_error","detail":"boom"})");
  auto failed = run([](auto& cluster, auto& output) { return remove_container(cluster, output, "web1"); });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(exit_status_of(failed.error().kind), kExitFailed);
  EXPECT_EQ(failed.error().detail, "the agent at " + agent1_.url() + " failed: boom");

  ipam_.answer("GET /stats", 503, R"({"error":"redis_unavailable","detail":"Redis does not answer"})");
  auto unavailable = run(show_stats);
  ASSERT_FALSE(unavailable.ok());
  EXPECT_EQ(exit_status_of(unavailable.error().kind), kExitUnavailable);
}

TEST_F(CommandsTest, AnswersOfTheWrongShapeAreErrorsNotCrashes) {
  ipam_.answer("GET /container/web1", 200, "[1]");
  auto inspected = run([](auto& cluster, auto& output) { return inspect_container(cluster, output, "web1"); });
  ASSERT_FALSE(inspected.ok());
  EXPECT_EQ(inspected.error().kind, ErrorKind::kInternal);
  // A list whose entries lack fields, or hold numbers that are not counts, is named for what it is
  // and prints nothing half-read.
  ipam_.answer("GET /hosts", 200, R"([{"host_id":"host1","containers":1e300,"heartbeat_age_ms":"soon"}])");
  auto listed = run(show_hosts);
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().code, "bad_answer");
  EXPECT_NE(listed.error().detail.find("failed: the IPAM's answer has a \"underlay_ip\" that is not present"),
            std::string::npos)
      << listed.error().detail;
  ipam_.answer("GET /stats", 200, R"({"total_ips":-1,"allocated_ips":0,"available_ips":0,"network_subnet":"x"})");
  auto stats = run(show_stats);
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.error().detail.find("\"total_ips\" that is not a non-negative integer"), std::string::npos)
      << stats.error().detail;
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandsTest, AnIpamThatDoesNotAnswerSaysWhereItWasLookedFor) {
  auto cluster = ClusterClient::connect({"http://127.0.0.1:1", "", std::chrono::milliseconds(500)});
  ASSERT_TRUE(cluster.ok());
  Output output{out_, warnings_, false};
  auto status = show_stats(*cluster, output);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(exit_status_of(status.error().kind), kExitUnavailable);
  EXPECT_NE(status.error().detail.find("the IPAM at http://127.0.0.1:1 does not answer"), std::string::npos);
  EXPECT_NE(status.error().detail.find("set --ipam or VXLAN_IPAM"), std::string::npos);
}

}  // namespace
}  // namespace vx::ctl
