// The IPAM's HTTP mapping on a small in-memory store: status codes, shapes, and that a rejected
// request never reaches the store.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

#include "common/run_blocking.h"
#include "ipam/api.h"

namespace vx::ipam {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// The change log the Redis scripts keep, in memory: each change goes to the view under the next
// revision, as the feed would deliver it.
struct FakeLog {
  ipam::ClusterView view;
  uint64_t revision = 0;
  FakeLog() { view.load({}); }
  void put(const Allocation& endpoint) { record({++revision, proto::Op::kPut, proto::Kind::kEndpoint, {}, endpoint}); }
  void erase(const Allocation& endpoint) {
    record({++revision, proto::Op::kDelete, proto::Kind::kEndpoint, {}, endpoint});
  }
  void put(const proto::Host& host) { record({++revision, proto::Op::kPut, proto::Kind::kHost, host, {}}); }
  void record(const proto::Change& change) { view.apply({change}); }
};

class FakeStore : public Store {
 public:
  explicit FakeStore(FakeLog& log) : log(log) {}
  FakeLog& log;
  std::map<std::string, Allocation> by_name;
  int calls = 0;
  bool down = false;

  std::string last_instance;  // the instance the last call for a host presented
  proto::ReleaseRequest last_release;  // what the last release asked for

  asio::awaitable<Result<AllocateResult>> allocate(const AllocateRequest& request,
                                                   const std::string& instance) override {
    ++calls;
    last_instance = instance;
    if (down) co_return unavailable("redis_unavailable", "down");
    auto found = by_name.find(request.container_name);
    if (found != by_name.end()) {
      if (found->second.host_id != request.host_id) co_return conflict("name_conflict", "held");
      co_return AllocateResult{found->second, false};
    }
    Allocation allocation{request.container_name, "172.20.0." + std::to_string(by_name.size() + 2),
                          request.host_id, {}};
    by_name[request.container_name] = allocation;
    log.put(allocation);
    co_return AllocateResult{allocation, true};
  }
  asio::awaitable<Result<Allocation>> release(const proto::ReleaseRequest& request,
                                              const std::string& instance) override {
    ++calls;
    last_instance = instance;
    last_release = request;
    auto found = by_name.find(request.container_name);
    if (found == by_name.end()) co_return not_found("unknown_container", "no");
    if (!request.network.empty() && found->second.network != request.network) {
      co_return conflict("network_mismatch", "other");
    }
    Allocation allocation = found->second;
    by_name.erase(found);
    log.erase(allocation);
    co_return allocation;
  }
  asio::awaitable<Result<std::optional<Allocation>>> find(const std::string& name) override {
    ++calls;
    auto found = by_name.find(name);
    co_return found == by_name.end() ? std::optional<Allocation>() : std::optional<Allocation>(found->second);
  }
  asio::awaitable<Result<uint64_t>> revision() override {
    if (down) co_return unavailable("redis_unavailable", "down");
    co_return log.revision;
  }
  asio::awaitable<Result<PoolStats>> stats(const std::string& network) override {
    ++calls;
    if (network != proto::kDefaultNetwork) co_return no_network(network);
    co_return PoolStats{65534, by_name.size(), 65534 - by_name.size(), "172.20.0.0/16"};
  }
  std::map<std::string, proto::NetworkStatus> networks_by_name{
      {"vxlan-net", {"vxlan-net", "172.20.0.0/16", 100, "172.20.0.1", "172.20.255.254", 65534, 0, 65534}}};
  asio::awaitable<Result<NetworkResult>> create_network(const proto::NetworkRequest& request) override {
    ++calls;
    if (networks_by_name.count(request.name)) co_return NetworkResult{networks_by_name[request.name], false};
    proto::NetworkStatus status{request.name, request.subnet, request.vni.value_or(4097), "", "", 254, 0, 254};
    networks_by_name[request.name] = status;
    co_return NetworkResult{status, true};
  }
  asio::awaitable<Status> delete_network(const std::string& name) override {
    ++calls;
    if (!networks_by_name.erase(name)) co_return no_network(name);
    co_return Ok{};
  }
  // Not counted in `calls`: every request reads the networks' subnets (at most once a second), to
  // refuse requests from containers on any of them.
  bool networks_down = false;  // networks() alone fails: a Redis that died between two calls
  asio::awaitable<Result<std::vector<NetworkStatus>>> networks(const std::string& name) override {
    if (networks_down) co_return unavailable("redis_unavailable", "down");
    std::vector<NetworkStatus> out;
    for (const auto& [network, status] : networks_by_name) {
      if (name.empty() || network == name) out.push_back(status);
    }
    if (!name.empty() && out.empty()) co_return no_network(name);
    co_return out;
  }
  asio::awaitable<Status> check_health() override {
    if (down) co_return unavailable("redis_unavailable", "Redis at x is unavailable");
    co_return Ok{};
  }
  asio::awaitable<Result<Allocation>> rename(const std::string& name, const std::string& to, const std::string&,
                                             const std::string& instance) override {
    ++calls;
    last_instance = instance;
    auto found = by_name.find(name);
    if (found == by_name.end()) co_return not_found("unknown_container", "no");
    Allocation moved = found->second;
    moved.container_name = to;
    by_name.erase(found);
    by_name[to] = moved;
    co_return moved;
  }
  asio::awaitable<Result<Allocation>> record_endpoint(const std::string& name, const std::string&,
                                                      const std::string& mac, const std::string& instance) override {
    ++calls;
    last_instance = instance;
    auto found = by_name.find(name);
    if (found == by_name.end()) co_return not_found("unknown_container", "no");
    found->second.mac_address = mac;
    log.put(found->second);
    co_return found->second;
  }
};

class FakeHosts : public HostRegistry {
 public:
  explicit FakeHosts(FakeLog& log) : log(log) {}
  FakeLog& log;
  std::vector<HostRegistration> registered;
  asio::awaitable<Status> register_host(const HostRegistration& host, const std::string&) override {
    registered.push_back(host);
    log.put(proto::Host{host.host_id, host.underlay_ip, host.agent_url, true});
    co_return Ok{};
  }
  asio::awaitable<Status> heartbeat(const std::string& id, const std::string&) override {
    for (const auto& host : registered) {
      if (host.host_id == id) co_return Ok{};
    }
    co_return not_found("unknown_host", id);
  }
  asio::awaitable<Status> leave(const std::string& id, const std::string& instance) override {
    co_return co_await heartbeat(id, instance);
  }
  std::chrono::milliseconds ttl() const override { return std::chrono::milliseconds(1500); }
  asio::awaitable<Result<HeartbeatAges>> heartbeat_ages() override {
    HeartbeatAges out;
    for (const auto& host : registered) out[host.host_id] = 10;
    co_return out;
  }
};

class IpamApiTest : public ::testing::Test {
 protected:
  IpamApiTest() : pool_(*PoolSpec::make(*Cidr::parse("172.20.0.0/16"), std::nullopt, std::nullopt, {})) {
    auto store = std::make_unique<FakeStore>(log_);
    store_ = store.get();
    auto hosts = std::make_unique<FakeHosts>(log_);
    hosts_ = hosts.get();
    router_ = make_ipam_router(std::move(store), std::move(hosts), pool_, log_.view);
  }

  std::pair<int, json::value> call(std::string method, std::string path, std::string body = "",
                                   std::optional<Ipv4> peer = std::nullopt, std::string instance = "") {
    HttpResponse response = respond(std::move(method), std::move(path), std::move(body), peer, std::move(instance));
    return {response.status, json::parse(response.body)};
  }

  HttpResponse respond(std::string method, std::string path, std::string body = "",
                       std::optional<Ipv4> peer = std::nullopt, std::string instance = "") {
    HttpRequest request{method, path, {}, {}, body, {}, peer, std::move(instance)};
    if (size_t mark = path.find('?'); mark != std::string::npos) {
      for (size_t start = mark + 1; start < path.size();) {
        size_t amp = std::min(path.find('&', start), path.size());
        std::string pair = path.substr(start, amp - start);
        size_t eq = pair.find('=');
        request.query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
        start = amp + 1;
      }
      path.resize(mark);
    }
    for (size_t start = 1; start < path.size();) {
      size_t slash = std::min(path.find('/', start), path.size());
      request.segments.push_back(path.substr(start, slash - start));
      start = slash + 1;
    }
    asio::io_context io;
    return run_blocking(io, router_->handle(request));
  }

  PoolSpec pool_;
  FakeLog log_;
  FakeStore* store_;
  FakeHosts* hosts_;
  std::unique_ptr<Router> router_;
};

TEST_F(IpamApiTest, AllocateAnswersTheSeedShape) {
  auto [status, body] = call("POST", "/allocate", R"({"container_name":"test1","host_id":"host1"})");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body.at("container_name"), "test1");
  EXPECT_EQ(body.at("host_id"), "host1");
  EXPECT_EQ(body.at("success"), true);
  EXPECT_TRUE(body.at("ip_address").is_string());
  EXPECT_EQ(body.at("created"), true);
  auto [again, again_body] = call("POST", "/allocate", R"({"container_name":"test1","host_id":"host1"})");
  EXPECT_EQ(again, 200);
  EXPECT_EQ(again_body.at("ip_address"), body.at("ip_address"));
  EXPECT_EQ(again_body.at("created"), false);
  auto [other, other_body] = call("POST", "/allocate", R"({"container_name":"test1","host_id":"host2"})");
  EXPECT_EQ(other, 409);
  EXPECT_EQ(other_body.at("error"), "name_conflict");
}

TEST_F(IpamApiTest, BadInputNeverReachesTheStore) {
  for (const char* body : {"{", R"({"container_name":"cx"})", R"({"container_name":1,"host_id":"h"})",
                           R"({"container_name":"a/b","host_id":"h"})",
                           R"({"container_name":"cx","host_id":"h","ip_address":"10.0.0.1"})"}) {
    auto [status, response] = call("POST", "/allocate", body);
    EXPECT_EQ(status, 400) << body;
    EXPECT_TRUE(response.at("error").is_string());
    EXPECT_TRUE(response.at("detail").is_string());
  }
  EXPECT_EQ(call("GET", "/container/-bad").first, 400);
  EXPECT_EQ(call("POST", "/deallocate", "{}").first, 400);
  EXPECT_EQ(store_->calls, 0);
}

// Found by a hostile probe: containers could drive the daemons. The IPAM refuses every request from
// an address of its own pool, whatever it asks, and still serves everyone else.
TEST_F(IpamApiTest, ItsOwnContainersMayNotDriveIt) {
  auto body = R"({"container_name":"web","host_id":"host1"})";
  auto refused = call("POST", "/allocate", body, Ipv4::parse("172.20.0.7").value());
  EXPECT_EQ(refused.first, 403);
  EXPECT_EQ(refused.second.at("error"), "forbidden_source");
  EXPECT_EQ(call("GET", "/health", "", Ipv4::parse("172.20.255.254").value()).first, 403);
  EXPECT_EQ(call("POST", "/allocate", body, Ipv4::parse("10.99.0.11").value()).first, 200);
}

// The same holds for the containers of every other network, from the moment it is created.
TEST_F(IpamApiTest, NoNetworksContainersMayDriveIt) {
  auto created = call("POST", "/networks", R"({"name":"blue","subnet":"10.30.0.0/24"})");
  ASSERT_EQ(created.first, 201);
  auto refused = call("GET", "/stats", "", Ipv4::parse("10.30.0.9").value());
  EXPECT_EQ(refused.first, 403);
  EXPECT_EQ(refused.second.at("error"), "forbidden_source");
  EXPECT_EQ(call("GET", "/stats", "", Ipv4::parse("10.31.0.9").value()).first, 200);
}

TEST_F(IpamApiTest, NetworkRequestsAreCheckedBeforeTheStore) {
  for (const char* body : {R"({"name":"blue"})", R"({"name":"a.b","subnet":"10.30.0.0/24"})",
                           R"({"name":"blue","subnet":"10.30.0.0/33"})", R"({"name":"blue","subnet":"10.30.0.0/24","vni":-1})",
                           R"({"name":"blue","subnet":"10.30.0.0/24","range_start":"x"})"}) {
    auto [status, response] = call("POST", "/networks", body);
    EXPECT_EQ(status, 400) << body;
    EXPECT_TRUE(response.at("detail").is_string());
  }
  EXPECT_EQ(call("GET", "/networks/a.b").first, 400);
  EXPECT_EQ(call("DELETE", "/networks/-x").first, 400);
  EXPECT_EQ(call("GET", "/stats?network=a:b").first, 400);
  EXPECT_EQ(call("GET", "/containers?network=").first, 400);
  EXPECT_EQ(call("POST", "/allocate", R"({"container_name":"cx","host_id":"h","network":"a.b"})").first, 400);
  EXPECT_EQ(call("POST", "/release", R"({"container_name":"cx","network":"a.b"})").first, 400);
  EXPECT_EQ(store_->calls, 0);
}

// The agent's instance id reaches the store with the call; a malformed one is refused up front.
TEST_F(IpamApiTest, TheCallersInstanceGoesWithTheCall) {
  auto body = R"({"container_name":"web","host_id":"host1"})";
  EXPECT_EQ(call("POST", "/allocate", body, std::nullopt, "a1b2c3").first, 200);
  EXPECT_EQ(store_->last_instance, "a1b2c3");
  int calls = store_->calls;
  auto refused = call("POST", "/allocate", body, std::nullopt, "not valid!");
  EXPECT_EQ(refused.first, 400);
  EXPECT_EQ(refused.second.at("error"), "invalid_instance");
  EXPECT_EQ(store_->calls, calls);
}

TEST_F(IpamApiTest, RoutingErrors) {
  auto [unknown, unknown_body] = call("GET", "/nowhere");
  EXPECT_EQ(unknown, 404);
  EXPECT_EQ(unknown_body.at("error"), "unknown_path");
  auto [method, method_body] = call("DELETE", "/stats");
  EXPECT_EQ(method, 405);
  EXPECT_EQ(method_body.at("error"), "method_not_allowed");
  EXPECT_EQ(respond("DELETE", "/stats").headers["Allow"], "GET");
}

// The page's policy lets only its own script and style run, with a nonce no earlier load can
// have handed out, and keeps it from being framed.
TEST_F(IpamApiTest, TheDashboardIsOnePageWithAStrictPolicy) {
  HttpResponse page = respond("GET", "/ui");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  const std::string& policy = page.headers["Content-Security-Policy"];
  size_t at = policy.find("script-src 'nonce-");
  ASSERT_NE(at, std::string::npos) << policy;
  std::string nonce = policy.substr(at + 18, policy.find('\'', at + 18) - at - 18);
  EXPECT_EQ(nonce.size(), 32u);
  EXPECT_NE(page.body.find("<script nonce=\"" + nonce + "\">"), std::string::npos);
  EXPECT_NE(page.body.find("<style nonce=\"" + nonce + "\">"), std::string::npos);
  EXPECT_EQ(page.body.find("@NONCE@"), std::string::npos);
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(policy.find("connect-src 'self'"), std::string::npos);
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(policy.find("base-uri 'none'"), std::string::npos);
  EXPECT_NE(policy.find("form-action 'none'"), std::string::npos);
  EXPECT_EQ(page.headers["X-Frame-Options"], "DENY");
  EXPECT_EQ(page.headers["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(respond("GET", "/ui").headers["Content-Security-Policy"].find(nonce), std::string::npos);
  // Nothing from elsewhere: no address but the page's own origin is named.
  EXPECT_EQ(page.body.find("src=\"http"), std::string::npos);
  EXPECT_EQ(page.body.find("href=\"http"), std::string::npos);
}

TEST_F(IpamApiTest, ReadEndpoints) {
  call("POST", "/allocate", R"({"container_name":"ca","host_id":"h1"})");
  auto [list_status, list] = call("GET", "/containers");
  EXPECT_EQ(list_status, 200);
  ASSERT_EQ(list.as_array().size(), 1u);
  EXPECT_EQ(list.as_array()[0].at("host_id"), "h1");
  EXPECT_EQ(call("GET", "/container/ca").second.at("container_name"), "ca");
  EXPECT_EQ(call("GET", "/container/cb").first, 404);
  EXPECT_EQ(call("GET", "/check/ca").second.at("exists"), true);
  auto [check_status, check] = call("GET", "/check/cb");
  EXPECT_EQ(check_status, 200);
  EXPECT_EQ(check.at("exists"), false);
  auto [stats_status, stats] = call("GET", "/stats");
  EXPECT_EQ(stats_status, 200);
  EXPECT_EQ(stats.at("total_ips"), 65534);
  EXPECT_EQ(stats.at("allocated_ips"), 1);
  EXPECT_EQ(stats.at("available_ips"), 65533);
  EXPECT_EQ(stats.at("network_subnet"), "172.20.0.0/16");
}

TEST_F(IpamApiTest, AReleaseOnConditionOfItsMacPassesItOnReadAndRefusesABadOne) {
  call("POST", "/allocate", R"({"container_name":"ca","host_id":"h1"})");
  auto [refused, error] = call("POST", "/release", R"({"container_name":"ca","host_id":"h1","mac_address":"ff:ff:ff:ff:ff:ff"})");
  EXPECT_EQ(refused, 400);
  EXPECT_EQ(error.at("error"), "invalid_mac");
  EXPECT_EQ(store_->last_release.container_name, "");  // the store never saw it
  EXPECT_EQ(call("POST", "/release", R"({"container_name":"ca","host_id":"h1","mac_address":"02:AB:cd:00:00:01"})").first, 200);
  EXPECT_EQ(store_->last_release.container_name, "ca");
  EXPECT_EQ(store_->last_release.host_id, "h1");
  EXPECT_EQ(store_->last_release.mac_address, "02:ab:cd:00:00:01");
}

TEST_F(IpamApiTest, ReleaseUnderBothNames) {
  call("POST", "/allocate", R"({"container_name":"ca","host_id":"h1"})");
  call("POST", "/allocate", R"({"container_name":"cb","host_id":"h1"})");
  EXPECT_EQ(call("POST", "/deallocate", R"({"container_name":"ca"})").first, 200);
  EXPECT_EQ(call("POST", "/release", R"({"container_name":"cb"})").first, 200);
  auto [again, body] = call("POST", "/release", R"({"container_name":"cb"})");
  EXPECT_EQ(again, 404);
  EXPECT_EQ(body.at("error"), "unknown_container");
}

TEST_F(IpamApiTest, HealthTellsTheTruth) {
  auto [up, up_body] = call("GET", "/health");
  EXPECT_EQ(up, 200);
  EXPECT_EQ(up_body.at("status"), "healthy");
  EXPECT_EQ(call("GET", "/").first, 200);
  store_->down = true;
  auto [down, down_body] = call("GET", "/health");
  EXPECT_EQ(down, 503);
  EXPECT_EQ(down_body.at("status"), "unhealthy");
  EXPECT_EQ(down_body.at("error"), "redis_unavailable");
  EXPECT_EQ(call("POST", "/allocate", R"({"container_name":"ca","host_id":"h1"})").first, 503);
}

TEST_F(IpamApiTest, HostsAndEndpoints) {
  auto [ok, body] = call("POST", "/hosts", R"({"host_id":"host1","underlay_ip":"10.0.1.5","agent_url":"http://10.0.1.5:8001"})");
  EXPECT_EQ(ok, 200);
  EXPECT_EQ(body.at("network_subnet"), "172.20.0.0/16");
  ASSERT_EQ(hosts_->registered.size(), 1u);
  EXPECT_EQ(call("POST", "/hosts", R"({"host_id":"host1","underlay_ip":"10.0.1","agent_url":"http://x:1"})").first, 400);
  EXPECT_EQ(call("POST", "/hosts", R"({"host_id":"host1","underlay_ip":"10.0.1.5","agent_url":"ftp://x"})").first, 400);
  EXPECT_EQ(call("POST", "/hosts", R"({"host_id":"h 1","underlay_ip":"10.0.1.5","agent_url":"http://x:1"})").first, 400);
  EXPECT_EQ(hosts_->registered.size(), 1u);
  EXPECT_EQ(call("POST", "/hosts/host1/heartbeat").first, 200);
  EXPECT_EQ(call("POST", "/hosts/host9/heartbeat").first, 404);
  auto [listed, hosts] = call("GET", "/hosts");
  EXPECT_EQ(listed, 200);
  EXPECT_EQ(hosts.as_array()[0].at("underlay_ip"), "10.0.1.5");
  EXPECT_EQ(hosts.as_array()[0].at("alive"), true);

  call("POST", "/allocate", R"({"container_name":"ca","host_id":"host1"})");
  EXPECT_EQ(call("POST", "/container/ca/endpoint", R"({"host_id":"host1","mac_address":"02:42:AC:14:00:05"})").first, 200);
  EXPECT_EQ(store_->by_name["ca"].mac_address, "02:42:ac:14:00:05");
  auto [bad_mac, bad_body] = call("POST", "/container/ca/endpoint", R"({"host_id":"host1","mac_address":"02:42"})");
  EXPECT_EQ(bad_mac, 400);
  EXPECT_EQ(bad_body.at("error"), "invalid_mac");
  EXPECT_EQ(call("GET", "/container/ca").second.at("mac_address"), "02:42:ac:14:00:05");
  auto [peers_status, peers] = call("GET", "/peers");
  EXPECT_EQ(peers_status, 200);
  EXPECT_EQ(peers.at("hosts").as_array().size(), 1u);
  EXPECT_EQ(peers.at("revision"), log_.revision);
  EXPECT_EQ(peers.at("endpoints").as_array()[0].at("mac_address"), "02:42:ac:14:00:05");
  EXPECT_EQ(hosts.as_array()[0].at("containers"), 0);  // listed before the allocation
  EXPECT_EQ(call("GET", "/hosts").second.as_array()[0].at("containers"), 1);
}

TEST_F(IpamApiTest, PeersSinceARevisionAnswerTheChangesAfterIt) {
  call("POST", "/hosts", R"({"host_id":"host1","underlay_ip":"10.0.1.5","agent_url":"http://10.0.1.5:8001"})");
  uint64_t before = log_.revision;
  call("POST", "/allocate", R"({"container_name":"ca","host_id":"host1"})");
  call("POST", "/release", R"({"container_name":"ca"})");
  auto [status, body] = call("GET", "/peers?since=" + std::to_string(before));
  ASSERT_EQ(status, 200);
  EXPECT_EQ(body.at("revision"), before + 2);
  const auto& changes = body.at("changes").as_array();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].at("op"), "put");
  EXPECT_EQ(changes[0].at("kind"), "endpoint");
  EXPECT_EQ(changes[0].at("revision"), before + 1);
  EXPECT_EQ(changes[1].at("op"), "delete");
  EXPECT_EQ(changes[1].at("container_name"), "ca");

  auto [now_status, now] = call("GET", "/peers?since=" + std::to_string(log_.revision) + "&wait_ms=0");
  EXPECT_EQ(now_status, 200);
  EXPECT_EQ(now.at("revision"), log_.revision);
  EXPECT_TRUE(now.at("changes").as_array().empty());
  auto [future_status, future] = call("GET", "/peers?since=" + std::to_string(log_.revision + 5));
  EXPECT_EQ(future_status, 200);
  EXPECT_EQ(future.at("reset"), true);
  EXPECT_EQ(future.at("hosts").as_array().size(), 1u);
}

TEST_F(IpamApiTest, PeersRejectsBadRevisionsAndWaits) {
  for (const char* query : {"since=-1", "since=abc", "since=", "since=1x", "since=99999999999999999999999"}) {
    auto [status, body] = call("GET", std::string("/peers?") + query);
    EXPECT_EQ(status, 400) << query;
    EXPECT_EQ(body.at("error"), "invalid_revision") << query;
  }
  for (const char* query : {"since=0&wait_ms=60001", "since=0&wait_ms=x", "since=0&wait_ms=-5"}) {
    auto [status, body] = call("GET", std::string("/peers?") + query);
    EXPECT_EQ(status, 400) << query;
    EXPECT_EQ(body.at("error"), "invalid_wait") << query;
  }
  EXPECT_EQ(call("GET", "/containers?host_id=h%201").first, 400);
}

TEST_F(IpamApiTest, ContainersOfOneHost) {
  call("POST", "/allocate", R"({"container_name":"ca","host_id":"host1"})");
  call("POST", "/allocate", R"({"container_name":"cb","host_id":"host2"})");
  auto [status, list] = call("GET", "/containers?host_id=host2");
  EXPECT_EQ(status, 200);
  ASSERT_EQ(list.as_array().size(), 1u);
  EXPECT_EQ(list.as_array()[0].at("container_name"), "cb");
  EXPECT_EQ(call("GET", "/containers").second.as_array().size(), 2u);
}

// The metrics (ipam/metrics.h) as a scrape reads them after requests: the counters by network and
// result, the request durations by route pattern, the gauges from the store and the view.
class IpamApiMetricsTest : public IpamApiTest {
 protected:
  IpamApiMetricsTest() {
    auto store = std::make_unique<FakeStore>(log_);
    store_ = store.get();
    router_ = make_ipam_router(std::move(store), std::make_unique<FakeHosts>(log_), pool_, log_.view, "", &ipam_);
  }
  std::string scrape() {
    HttpRequest request{"GET", "/metrics", {"metrics"}, {}, "", {}, std::nullopt, ""};
    asio::io_context io;
    HttpResponse response = run_blocking(io, router_->handle(request));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
    return response.body;
  }
  static bool has(const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  }

  Metrics metrics_;
  IpamMetrics ipam_{metrics_};
};

TEST_F(IpamApiMetricsTest, RequestsMoveTheCountersAndScrapesReadTheGauges) {
  EXPECT_EQ(call("POST", "/allocate", R"({"container_name":"web","host_id":"h1"})").first, 200);
  EXPECT_EQ(call("POST", "/allocate", R"({"container_name":"web","host_id":"h1"})").first, 200);
  EXPECT_EQ(call("POST", "/allocate", R"({"container_name":"web","host_id":"h2"})").first, 409);
  EXPECT_EQ(call("POST", "/release", R"({"container_name":"web"})").first, 200);
  EXPECT_EQ(call("POST", "/allocate", R"({"container_name":"x"})").first, 400);  // no host: never counted
  std::string text = scrape();
  EXPECT_TRUE(has(text, R"(vxlan_ipam_allocations_total{network="vxlan-net",result="created"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_ipam_allocations_total{network="vxlan-net",result="existing"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_ipam_allocations_total{network="vxlan-net",result="name_conflict"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_ipam_releases_total{network="vxlan-net"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_ipam_http_request_duration_seconds_count{code="200",route="/allocate"} 2)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_ipam_http_request_duration_seconds_count{code="400",route="/allocate"} 1)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_ipam_pool_addresses{network="vxlan-net",state="free"} 65534)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_ipam_pool_addresses{network="vxlan-net",state="reserved"} 0)")) << text;
  EXPECT_TRUE(has(text, "vxlan_ipam_redis_up 1")) << text;
  EXPECT_TRUE(has(text, "vxlan_ipam_revision " + std::to_string(log_.view.revision()))) << text;
  store_->networks_down = true;
  text = scrape();
  EXPECT_TRUE(has(text, "vxlan_ipam_redis_up 0")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_ipam_pool_addresses{network="vxlan-net",state="free"} 65534)")) << "kept: " << text;
}

TEST_F(IpamApiMetricsTest, PathsClientsMakeUpAreOneRouteLabel) {
  for (const char* path : {"/nope/1", "/nope/2", "/container/a/b/c"}) call("GET", path);
  call("GET", "/container/web");
  call("GET", "/container/db");
  std::string text = scrape();
  EXPECT_TRUE(has(text, R"(vxlan_ipam_http_request_duration_seconds_count{code="404",route="unmatched"} 3)")) << text;
  EXPECT_TRUE(has(text, R"(vxlan_ipam_http_request_duration_seconds_count{code="404",route="/container/{name}"} 2)"))
      << text;
}

}  // namespace
}  // namespace vx::ipam
