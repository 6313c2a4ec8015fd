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
                            const std::string& id, const std::string& ip = "172.20.0.5",
                            const std::string& network = std::string(proto::kDefaultNetwork)) {
  return json::serialize(
      proto::to_json(proto::Container{id, name, ip, "02:42:ac:14:00:05", "host1", image, status, network}));
}

// The IPAM's answer for one network, as the IPAM encodes it.
std::string ipam_network(const std::string& name, const std::string& subnet, uint32_t vni, const std::string& first,
                         const std::string& last, uint64_t total, uint64_t allocated) {
  return json::serialize(
      proto::to_json(proto::NetworkStatus{name, subnet, vni, first, last, total, allocated, total - allocated}));
}

// stats of the default network, as `vxctl stats` asks for it.
Result<int> default_stats(ClusterClient& cluster, const Output& output) {
  return show_stats(cluster, output, std::string(proto::kDefaultNetwork));
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
  EXPECT_EQ(listed.at(0).at("network"), "vxlan-net");
  EXPECT_EQ(listed.at(1).at("state"), "unknown");  // host2's agent does not answer
  EXPECT_NE(warnings_.str().find("http://127.0.0.1:1 does not answer"), std::string::npos) << warnings_.str();
}

TEST_F(CommandsTest, StatsShowsUseAsAPercentage) {
  ipam_.answer("GET /stats", 200,
                  R"({"total_ips":200,"allocated_ips":50,"available_ips":150,"network_subnet":"10.9.0.0/24"})");
  ASSERT_TRUE(run(default_stats).ok());
  EXPECT_EQ(out_.str(), "network  vxlan-net\npool     10.9.0.0/24\ntotal    200\nused     50 (25.0%)\nfree     150\n");
  EXPECT_EQ(ipam_.requests(), std::vector<std::string>{"GET /stats"});  // the default network's, as before networks
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
  auto refused = run(default_stats);
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
  auto unavailable = run(default_stats);
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
  auto stats = run(default_stats);
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.error().detail.find("\"total_ips\" that is not a non-negative integer"), std::string::npos)
      << stats.error().detail;
  EXPECT_EQ(out_.str(), "");
}

TEST_F(CommandsTest, AnIpamThatDoesNotAnswerSaysWhereItWasLookedFor) {
  auto cluster = ClusterClient::connect({"http://127.0.0.1:1", "", std::chrono::milliseconds(500)});
  ASSERT_TRUE(cluster.ok());
  Output output{out_, warnings_, false};
  auto status = default_stats(*cluster, output);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(exit_status_of(status.error().kind), kExitUnavailable);
  EXPECT_NE(status.error().detail.find("the IPAM at http://127.0.0.1:1 does not answer"), std::string::npos);
  EXPECT_NE(status.error().detail.find("set --ipam or VXLAN_IPAM"), std::string::npos);
}

TEST_F(CommandsTest, PsTableNamesEachContainersNetwork) {
  ipam_.answer("GET /containers", 200,
               R"([{"container_name":"web1","ip_address":"172.20.0.5","host_id":"host1"},)"
               R"({"container_name":"db1","ip_address":"10.30.0.7","host_id":"host1","network":"blue"},)"
               R"({"container_name":"vxlan-gateway-blue.host1","ip_address":"10.30.0.1","host_id":"host1","network":"blue"}])");
  agent1_.answer("GET /containers", 200,
                 "[" + agent_container("web1", "running", "nginx:alpine", "abc") + "," +
                     agent_container("db1", "running", "redis:7", "def", "10.30.0.7", "blue") + "]");
  ASSERT_TRUE(run([](auto& cluster, auto& output) { return show_containers(cluster, output, false); }).ok());
  EXPECT_EQ(out_.str(),
            "NAME  HOST   ADDRESS     STATE    IMAGE         NETWORK\n"
            "db1   host1  10.30.0.7   running  redis:7       blue\n"
            "web1  host1  172.20.0.5  running  nginx:alpine  vxlan-net\n");
  // --all lists a network's gateway too, on its network.
  ASSERT_TRUE(run([](auto& cluster, auto& output) { return show_containers(cluster, output, true); }).ok());
  EXPECT_NE(out_.str().find("vxlan-gateway-blue.host1  host1  10.30.0.1   gateway  -             blue\n"),
            std::string::npos)
      << out_.str();
}

TEST_F(CommandsTest, StatsOfANetworkAsksTheIpamForThatOne) {
  ipam_.answer("GET /stats?network=blue", 200,
               R"({"total_ips":254,"allocated_ips":2,"available_ips":252,"network_subnet":"10.30.0.0/24","network":"blue"})");
  ASSERT_TRUE(run([](auto& cluster, auto& output) { return show_stats(cluster, output, "blue"); }).ok());
  EXPECT_EQ(out_.str(), "network  blue\npool     10.30.0.0/24\ntotal    254\nused     2 (0.8%)\nfree     252\n");
  EXPECT_EQ(ipam_.requests(), std::vector<std::string>{"GET /stats?network=blue"});

  ipam_.answer("GET /stats?network=green", 404,
               R"j({"error":"unknown_network","detail":"network 'green' does not exist (vxctl network ls lists them)"})j");
  auto unknown = run([](auto& cluster, auto& output) { return show_stats(cluster, output, "green"); });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(exit_status_of(unknown.error().kind), kExitNotFound);
  EXPECT_EQ(unknown.error().detail, "network 'green' does not exist (vxctl network ls lists them)");

  auto invalid = run([](auto& cluster, auto& output) { return show_stats(cluster, output, "a.b"); });
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(exit_status_of(invalid.error().kind), kExitUsage);
  EXPECT_EQ(ipam_.requests().size(), 2u);  // the invalid name never reached the IPAM
}

TEST_F(CommandsTest, RunOnANetworkSendsItAndSaysSo) {
  agent1_.answer("POST /create_container", 200,
                 agent_container("db1", "running", "redis:7", "0123456789abcdef", "10.30.0.9", "blue"));
  RunCommand request{"db1", "redis:7", "host1", "blue"};
  auto status = run([&](auto& cluster, auto& output) { return run_container(cluster, output, request); });
  ASSERT_TRUE(status.ok()) << status.error().detail;
  EXPECT_EQ(out_.str(), "db1 is running on host1 at 10.30.0.9 on network blue (container 0123456789ab)\n");
  EXPECT_EQ(agent1_.requests().back(),
            R"(POST /create_container {"container_name":"db1","image":"redis:7","network":"blue"})");

  RunCommand invalid{"db2", "redis:7", "host1", "no.dots"};
  auto refused = run([&](auto& cluster, auto& output) { return run_container(cluster, output, invalid); });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(exit_status_of(refused.error().kind), kExitUsage);
  EXPECT_EQ(agent1_.requests().size(), 1u);
}

TEST_F(CommandsTest, InspectShowsTheContainersNetwork) {
  ipam_.answer("GET /container/db1", 200,
               R"({"container_name":"db1","ip_address":"10.30.0.9","host_id":"host1","network":"blue"})");
  agent1_.answer("GET /container/db1", 200,
                 agent_container("db1", "running", "redis:7", "0123456789abcdef", "10.30.0.9", "blue"));
  ASSERT_TRUE(run([](auto& cluster, auto& output) { return inspect_container(cluster, output, "db1"); }).ok());
  EXPECT_NE(out_.str().find("\nnetwork         blue\n"), std::string::npos) << out_.str();
  // The registry's network, even when the agent does not say.
  ipam_.answer("GET /container/web1", 200, R"({"container_name":"web1","ip_address":"172.20.0.5","host_id":"host1"})");
  agent1_.answer("GET /container/web1", 404, R"({"error":"unknown_container","detail":"no container 'web1' here"})");
  ASSERT_TRUE(run([](auto& cluster, auto& output) { return inspect_container(cluster, output, "web1"); }, true).ok());
  json::value inspected = json::parse(out_.str());
  EXPECT_EQ(inspected.at("network"), "vxlan-net");
  EXPECT_EQ(inspected.at("status"), "missing");
}

TEST_F(CommandsTest, NetworkCreateSendsTheRequestAndSaysItIsNew) {
  ipam_.answer("GET /networks/blue", 404,
               R"j({"error":"unknown_network","detail":"network 'blue' does not exist (vxctl network ls lists them)"})j");
  ipam_.answer("POST /networks", 201, ipam_network("blue", "10.30.0.0/24", 5000, "10.30.0.10", "10.30.0.99", 90, 0));
  NetworkCommand request{"blue", "10.30.0.0/24", 5000, "10.30.0.10", "10.30.0.99"};
  auto status = run([&](auto& cluster, auto& output) { return create_network(cluster, output, request); });
  ASSERT_TRUE(status.ok()) << status.error().detail;
  EXPECT_EQ(*status, kExitOk);
  EXPECT_EQ(out_.str(),
            "created network blue\n"
            "name    blue\n"
            "subnet  10.30.0.0/24\n"
            "vni     5000\n"
            "range   10.30.0.10 - 10.30.0.99\n"
            "total   90\n"
            "used    0 (0.0%)\n"
            "free    90\n");
  EXPECT_EQ(ipam_.requests().back(),
            R"(POST /networks {"name":"blue","subnet":"10.30.0.0/24","vni":5000,"range_start":"10.30.0.10","range_end":"10.30.0.99"})");

  // Without a VNI nor a range, none is sent: the IPAM picks them.
  ipam_.answer("GET /networks/green", 404, R"({"error":"unknown_network","detail":"no"})");
  NetworkCommand bare{"green", "10.40.0.0/24", std::nullopt, "", ""};
  ASSERT_TRUE(run([&](auto& cluster, auto& output) { return create_network(cluster, output, bare); }).ok());
  EXPECT_EQ(ipam_.requests().back(), R"(POST /networks {"name":"green","subnet":"10.40.0.0/24"})");
}

TEST_F(CommandsTest, NetworkCreateOfOneThatExistsIdenticalSaysSo) {
  std::string blue = ipam_network("blue", "10.30.0.0/24", 4097, "10.30.0.1", "10.30.0.254", 254, 3);
  ipam_.answer("GET /networks/blue", 200, blue);
  ipam_.answer("POST /networks", 200, blue);
  NetworkCommand request{"blue", "10.30.0.0/24", std::nullopt, "", ""};
  ASSERT_TRUE(run([&](auto& cluster, auto& output) { return create_network(cluster, output, request); }).ok());
  EXPECT_EQ(out_.str().substr(0, out_.str().find('\n')), "network blue exists already, the same");
  EXPECT_NE(out_.str().find("\nused    3 (1.2%)\n"), std::string::npos) << out_.str();
  // --json: the IPAM's answer, as it gave it.
  ASSERT_TRUE(run([&](auto& cluster, auto& output) { return create_network(cluster, output, request); }, true).ok());
  EXPECT_EQ(json::parse(out_.str()), json::parse(blue));
}

TEST_F(CommandsTest, NetworkCreateRefusalsKeepTheirKind) {
  ipam_.answer("GET /networks/blue", 404, R"({"error":"unknown_network","detail":"no"})");
  ipam_.answer("POST /networks", 409,
               R"({"error":"subnet_overlap","detail":"subnet 10.30.0.0/24 overlaps 10.30.0.0/16 of network 'red'"})");
  NetworkCommand request{"blue", "10.30.0.0/24", std::nullopt, "", ""};
  auto overlap = run([&](auto& cluster, auto& output) { return create_network(cluster, output, request); });
  ASSERT_FALSE(overlap.ok());
  EXPECT_EQ(exit_status_of(overlap.error().kind), kExitConflict);
  EXPECT_EQ(overlap.error().code, "subnet_overlap");
  EXPECT_EQ(overlap.error().detail, "subnet 10.30.0.0/24 overlaps 10.30.0.0/16 of network 'red'");
  EXPECT_TRUE(out_.str().empty());

  // What vxctl can tell is wrong never reaches the IPAM.
  size_t asked = ipam_.requests().size();
  for (const NetworkCommand& bad : {NetworkCommand{"bad.name", "10.30.0.0/24", std::nullopt, "", ""},
                                    NetworkCommand{"blue", "10.30.0.0", std::nullopt, "", ""},
                                    NetworkCommand{"blue", "10.30.0.0/24", 0, "", ""},
                                    NetworkCommand{"blue", "10.30.0.0/24", std::nullopt, "10.30.0.x", ""},
                                    NetworkCommand{"blue", "10.30.0.0/24", std::nullopt, "", "300.0.0.1"}}) {
    auto refused = run([&](auto& cluster, auto& output) { return create_network(cluster, output, bad); });
    ASSERT_FALSE(refused.ok()) << bad.name << " " << bad.subnet;
    EXPECT_EQ(exit_status_of(refused.error().kind), kExitUsage) << refused.error().detail;
  }
  EXPECT_EQ(ipam_.requests().size(), asked);
  NetworkCommand bad_end{"blue", "10.30.0.0/24", std::nullopt, "", "300.0.0.1"};
  auto refused = run([&](auto& cluster, auto& output) { return create_network(cluster, output, bad_end); });
  EXPECT_EQ(refused.error().detail, "--range-end: '300.0.0.1' is not an IPv4 address");
}

TEST_F(CommandsTest, NetworkLsIsATableOfEachPoolsUse) {
  ipam_.answer("GET /networks", 200,
               "[" + ipam_network("vxlan-net", "172.20.0.0/16", 100, "172.20.0.1", "172.20.255.254", 65534, 5) + "," +
                   ipam_network("blue", "10.30.0.0/24", 4097, "10.30.0.1", "10.30.0.254", 254, 2) + "]");
  ASSERT_TRUE(run(list_networks).ok());
  EXPECT_EQ(out_.str(),
            "NAME       SUBNET         VNI   TOTAL  USED  FREE\n"
            "blue       10.30.0.0/24   4097  254    2     252\n"
            "vxlan-net  172.20.0.0/16  100   65534  5     65529\n");
  ASSERT_TRUE(run(list_networks, true).ok());
  json::value listed = json::parse(out_.str());
  ASSERT_EQ(listed.as_array().size(), 2u);
  EXPECT_EQ(listed.at(0).at("name"), "blue");
  EXPECT_EQ(listed.at(0).at("vni"), 4097);
  EXPECT_EQ(listed.at(1).at("available_ips"), 65529);
}

TEST_F(CommandsTest, NetworkInspectListsTheContainersOnItWithoutGateways) {
  ipam_.answer("GET /networks/blue", 200, ipam_network("blue", "10.30.0.0/24", 4097, "10.30.0.1", "10.30.0.254", 254, 4));
  ipam_.answer("GET /containers", 200,
               R"([{"container_name":"web1","ip_address":"172.20.0.5","host_id":"host1"},)"
               R"({"container_name":"db2","ip_address":"10.30.0.8","host_id":"host2","network":"blue"},)"
               R"({"container_name":"db1","ip_address":"10.30.0.7","host_id":"host1","network":"blue"},)"
               R"({"container_name":"vxlan-gateway-blue.host1","ip_address":"10.30.0.1","host_id":"host1","network":"blue"},)"
               R"({"container_name":"vxlan-gateway-blue.host2","ip_address":"10.30.0.2","host_id":"host2","network":"blue"}])");
  ASSERT_TRUE(run([](auto& cluster, auto& output) { return inspect_network(cluster, output, "blue"); }).ok());
  EXPECT_EQ(out_.str(),
            "name        blue\n"
            "subnet      10.30.0.0/24\n"
            "vni         4097\n"
            "range       10.30.0.1 - 10.30.0.254\n"
            "total       254\n"
            "used        4 (1.6%)\n"
            "free        250\n"
            "containers  2\n"
            "\n"
            "NAME  HOST   ADDRESS\n"
            "db1   host1  10.30.0.7\n"
            "db2   host2  10.30.0.8\n");
  EXPECT_TRUE(agent1_.requests().empty());  // the registry is enough

  ASSERT_TRUE(run([](auto& cluster, auto& output) { return inspect_network(cluster, output, "blue"); }, true).ok());
  json::value inspected = json::parse(out_.str());
  EXPECT_EQ(inspected.at("subnet"), "10.30.0.0/24");
  ASSERT_EQ(inspected.at("containers").as_array().size(), 2u);
  EXPECT_EQ(inspected.at("containers").at(0).at("container_name"), "db1");

  // A network without containers says so, and prints no empty table.
  ipam_.answer("GET /networks/vxlan-net", 200,
               ipam_network("vxlan-net", "172.20.0.0/16", 100, "172.20.0.1", "172.20.255.254", 65534, 1));
  ipam_.answer("GET /containers", 200, "[]");
  ASSERT_TRUE(run([](auto& cluster, auto& output) { return inspect_network(cluster, output, "vxlan-net"); }).ok());
  EXPECT_TRUE(out_.str().ends_with("\nfree        65533\ncontainers  0\n")) << out_.str();

  ipam_.answer("GET /networks/green", 404,
               R"j({"error":"unknown_network","detail":"network 'green' does not exist (vxctl network ls lists them)"})j");
  auto unknown = run([](auto& cluster, auto& output) { return inspect_network(cluster, output, "green"); });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(exit_status_of(unknown.error().kind), kExitNotFound);
  EXPECT_EQ(unknown.error().detail, "network 'green' does not exist (vxctl network ls lists them)");
}

TEST_F(CommandsTest, NetworkRmRemovesOrSaysWhyNot) {
  ipam_.answer("DELETE /networks/blue", 200, R"({"name":"blue","deleted":true,"success":true})");
  ASSERT_TRUE(run([](auto& cluster, auto& output) { return remove_network(cluster, output, "blue"); }).ok());
  EXPECT_EQ(out_.str(), "removed network blue\n");
  ASSERT_TRUE(run([](auto& cluster, auto& output) { return remove_network(cluster, output, "blue"); }, true).ok());
  EXPECT_EQ(json::parse(out_.str()), json::parse(R"({"name":"blue","deleted":true,"success":true})"));

  struct Refusal {
    std::string network;
    int status;
    std::string body;
    int exit_status;
  };
  for (const Refusal& refusal :
       {Refusal{"red", 409,
                R"({"error":"network_in_use","detail":"network 'red' is in use: container 'db1' holds an address on it; remove its containers first"})",
                kExitConflict},
        Refusal{"vxlan-net", 400,
                R"({"error":"default_network","detail":"network 'vxlan-net' is the default network: it always exists"})",
                kExitUsage},
        Refusal{"green", 404,
                R"j({"error":"unknown_network","detail":"network 'green' does not exist (vxctl network ls lists them)"})j",
                kExitNotFound}}) {
    ipam_.answer("DELETE /networks/" + refusal.network, refusal.status, refusal.body);
    auto refused = run([&](auto& cluster, auto& output) { return remove_network(cluster, output, refusal.network); });
    ASSERT_FALSE(refused.ok()) << refusal.network;
    EXPECT_EQ(exit_status_of(refused.error().kind), refusal.exit_status) << refusal.network;
    EXPECT_EQ(refused.error().detail, std::string(json::parse(refusal.body).at("detail").as_string()));
    EXPECT_TRUE(out_.str().empty());
  }

  size_t asked = ipam_.requests().size();
  auto invalid = run([](auto& cluster, auto& output) { return remove_network(cluster, output, "../hosts"); });
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(exit_status_of(invalid.error().kind), kExitUsage);
  EXPECT_EQ(ipam_.requests().size(), asked);
}

std::string changes_after(uint64_t revision, const std::vector<proto::Change>& changes) {
  json::array out;
  for (const auto& change : changes) out.push_back(proto::to_json(change));
  return json::serialize(json::object{{"revision", revision}, {"changes", std::move(out)}});
}

proto::Change endpoint_change(uint64_t revision, proto::Op op) {
  proto::Change change{revision, op, proto::Kind::kEndpoint, {}, {}};
  change.endpoint = {"web", "172.20.0.5", "host1", op == proto::Op::kPut ? "02:42:ac:14:00:05" : "", "vxlan-net"};
  return change;
}

TEST_F(CommandsTest, EventsFollowTheFeedFromNowOneLinePerChange) {
  ipam_.answer("GET /peers", 200, R"({"revision":5,"hosts":[],"endpoints":[]})");
  ipam_.answer("GET /peers?since=5&wait_ms=20000", 200,
               changes_after(7, {endpoint_change(6, proto::Op::kPut), endpoint_change(7, proto::Op::kDelete)}));
  auto status = run([](auto& cluster, auto& output) { return follow_events(cluster, output, {std::nullopt, 2}); });
  ASSERT_TRUE(status.ok()) << status.error().detail;
  std::string lines = out_.str();
  EXPECT_NE(lines.find("  r6  endpoint put     web  172.20.0.5 on host1 (vxlan-net, 02:42:ac:14:00:05)\n"),
            std::string::npos) << lines;
  EXPECT_NE(lines.find("  r7  endpoint delete  web  172.20.0.5 on host1\n"), std::string::npos) << lines;
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 2);
}

TEST_F(CommandsTest, EventsJsonIsOneChangePerLineAndSinceResumes) {
  ipam_.answer("GET /peers?since=5&wait_ms=20000", 200, changes_after(6, {endpoint_change(6, proto::Op::kPut)}));
  auto status = run([](auto& cluster, auto& output) { return follow_events(cluster, output, {5, 1}); }, true);
  ASSERT_TRUE(status.ok()) << status.error().detail;
  json::object line = json::parse(out_.str()).as_object();
  EXPECT_EQ(line.at("revision"), 6);
  EXPECT_EQ(line.at("op"), "put");
  EXPECT_TRUE(line.at("time").as_string().ends_with("Z"));
  for (const auto& request : ipam_.requests()) EXPECT_NE(request, "GET /peers") << "--since takes no snapshot";
}

TEST_F(CommandsTest, EventsSayWhenTheFeedWasReset) {
  ipam_.answer("GET /peers?since=3&wait_ms=20000", 200, R"({"revision":9,"reset":true,"hosts":[],"endpoints":[]})");
  ipam_.answer("GET /peers?since=9&wait_ms=20000", 200, changes_after(10, {endpoint_change(10, proto::Op::kPut)}));
  auto status = run([](auto& cluster, auto& output) { return follow_events(cluster, output, {3, 1}); });
  ASSERT_TRUE(status.ok()) << status.error().detail;
  EXPECT_NE(out_.str().find("r9  reset: the IPAM cannot continue from r3"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("r10  endpoint put"), std::string::npos) << out_.str();
}

TEST_F(CommandsTest, EventsStopOnARefusal) {
  ipam_.answer("GET /peers", 401, R"({"error":"unauthorized","detail":"a token is required"})");
  auto status = run([](auto& cluster, auto& output) { return follow_events(cluster, output, {std::nullopt, 0}); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kUnauthorized);
}

}  // namespace
}  // namespace vx::ctl
