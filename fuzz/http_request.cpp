// Feeds the input as one connection's bytes to a real HttpServer serving the IPAM's router over
// an in-memory registry. Checks that every answer is well-formed HTTP, a JSON body parses, an error
// has a code, a 405 an Allow header, and nothing is a 500 (the fakes never fail: an exception).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <cstdlib>
#include <map>

#include "check.h"
#include "common/http_server.h"
#include "common/no_throw.h"
#include "common/run_blocking.h"
#include "ipam/api.h"

namespace vx::fuzz {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using unix_socket = asio::local::stream_protocol;
using namespace asio::experimental::awaitable_operators;
constexpr const char* kToken = "fuzz-token";  // the seeds' requests carry it

const ipam::PoolSpec& pool() {
  static const ipam::PoolSpec pool =
      *ipam::PoolSpec::make(*Cidr::parse("172.20.0.0/16"), std::nullopt, std::nullopt, {});
  return pool;
}

// The registry in memory, starting with one silent host (so that it may be removed) and its
// container. Each change goes to the view at the next revision, as the feed would deliver it, so
// that listings and /peers show what the input's earlier requests wrote.
struct Registry {
  explicit Registry(ipam::ClusterView& view) : view(view) {
    hosts["host1"] = {"host1", "10.0.0.1", "http://10.0.0.1:8001", false};
    endpoints["web"] = {"web", "172.20.0.2", "host1", "02:42:ac:14:00:02"};
    view.load({1, {hosts["host1"]}, {endpoints["web"]}});
    // Every wait returns at once: a long-poll's wait_ms must not hold the fuzzer up.
    view.close();
  }

  void put(proto::Endpoint endpoint) {
    endpoints[endpoint.container_name] = endpoint;
    record({0, proto::Op::kPut, proto::Kind::kEndpoint, {}, std::move(endpoint)});
  }
  void erase(proto::Endpoint endpoint) {
    endpoints.erase(endpoint.container_name);
    record({0, proto::Op::kDelete, proto::Kind::kEndpoint, {}, std::move(endpoint)});
  }
  void put(proto::Host host) {
    hosts[host.host_id] = host;
    record({0, proto::Op::kPut, proto::Kind::kHost, std::move(host), {}});
  }
  void erase(proto::Host host) {
    hosts.erase(host.host_id);
    record({0, proto::Op::kDelete, proto::Kind::kHost, std::move(host), {}});
  }
  void record(proto::Change change) {
    change.revision = view.revision() + 1;
    view.apply({change});
  }

  ipam::ClusterView& view;
  std::map<std::string, proto::Endpoint> endpoints;
  std::map<std::string, proto::Host> hosts;
  std::map<std::string, proto::NetworkStatus> networks{
      {"vxlan-net", {"vxlan-net", "172.20.0.0/16", 100, "172.20.0.1", "172.20.255.254", 0, 0, 0}}};
  uint32_t allocated = 0;
};

class FakeStore : public ipam::Store {
 public:
  explicit FakeStore(Registry& registry) : registry_(registry) {}

  asio::awaitable<Result<ipam::AllocateResult>> allocate(const ipam::AllocateRequest& request,
                                                         const std::string&) override {
    if (auto held = registry_.endpoints.find(request.container_name); held != registry_.endpoints.end()) {
      if (held->second.host_id != request.host_id) co_return conflict("name_conflict", "held by another host");
      co_return ipam::AllocateResult{held->second, false};
    }
    Ipv4 ip = request.ip_address.value_or(Ipv4(pool().first().value() + 1 + registry_.allocated++));
    proto::Endpoint endpoint{request.container_name, ip.to_string(), request.host_id, {}};
    registry_.put(endpoint);
    co_return ipam::AllocateResult{std::move(endpoint), true};
  }

  asio::awaitable<Result<ipam::Allocation>> release(const proto::ReleaseRequest& request,
                                                    const std::string&) override {
    auto held = owned(request.container_name, request.host_id);
    if (held) registry_.erase(*held);
    co_return held;
  }

  asio::awaitable<Result<std::optional<ipam::Allocation>>> find(const std::string& name) override {
    auto held = registry_.endpoints.find(name);
    co_return held == registry_.endpoints.end() ? std::nullopt : std::optional(held->second);
  }

  asio::awaitable<Result<ipam::PoolStats>> stats(const std::string& network) override {
    if (!registry_.networks.count(network)) co_return ipam::no_network(network);
    uint64_t allocated = registry_.endpoints.size();
    co_return ipam::PoolStats{pool().size(), allocated, pool().size() - allocated, pool().subnet().to_string(),
                              network};
  }

  asio::awaitable<Result<ipam::NetworkResult>> create_network(const proto::NetworkRequest& request) override {
    bool created = !registry_.networks.count(request.name);
    auto& network = registry_.networks[request.name];
    if (created) network = {request.name, request.subnet, request.vni.value_or(4097), "", "", 0, 0, 0};
    co_return ipam::NetworkResult{network, created};
  }

  asio::awaitable<Status> delete_network(const std::string& name) override {
    if (name == proto::kDefaultNetwork) co_return bad_input("default_network", "always exists");
    if (!registry_.networks.erase(name)) co_return ipam::no_network(name);
    co_return Ok{};
  }

  asio::awaitable<Result<std::vector<ipam::NetworkStatus>>> networks(const std::string& name) override {
    std::vector<ipam::NetworkStatus> out;
    for (const auto& [network, status] : registry_.networks) {
      if (name.empty() || network == name) out.push_back(status);
    }
    if (!name.empty() && out.empty()) co_return ipam::no_network(name);
    co_return out;
  }

  asio::awaitable<Result<uint64_t>> revision() override { co_return registry_.view.revision(); }

  asio::awaitable<Result<ipam::Allocation>> record_endpoint(const std::string& name, const std::string& host_id,
                                                            const std::string& mac, const std::string&) override {
    auto held = owned(name, host_id);
    if (held) {
      held->mac_address = mac;
      registry_.put(*held);
    }
    co_return held;
  }

  asio::awaitable<Result<ipam::Allocation>> rename(const std::string& name, const std::string& to,
                                                   const std::string& host_id, const std::string&) override {
    auto held = owned(name, host_id);
    if (!held) co_return held;
    if (registry_.endpoints.count(to)) co_return conflict("name_conflict", "'" + to + "' holds an address");
    registry_.erase(*held);
    held->container_name = to;
    registry_.put(*held);
    co_return held;
  }

  asio::awaitable<Status> check_health() override { co_return Ok{}; }

 private:
  // The name's entry, if it belongs to `host_id` (any host when empty).
  Result<ipam::Allocation> owned(const std::string& name, const std::string& host_id) const {
    auto held = registry_.endpoints.find(name);
    if (held == registry_.endpoints.end()) return ipam::no_address(name);
    if (!host_id.empty() && held->second.host_id != host_id) return conflict("wrong_host", "held by another host");
    return held->second;
  }

  Registry& registry_;
};

class FakeHosts : public ipam::HostRegistry {
 public:
  static constexpr std::chrono::milliseconds kTtl{10000};

  explicit FakeHosts(Registry& registry) : registry_(registry) {}

  asio::awaitable<Status> register_host(const ipam::HostRegistration& host, const std::string&) override {
    registry_.put(proto::Host{host.host_id, host.underlay_ip, host.agent_url, true});
    co_return Ok{};
  }
  asio::awaitable<Status> heartbeat(const std::string& host_id, const std::string&) override {
    Status found = known(host_id);
    // A silent host that heartbeats again comes back, as a change in the log.
    if (found && !registry_.hosts.at(host_id).alive) {
      proto::Host host = registry_.hosts.at(host_id);
      host.alive = true;
      registry_.put(std::move(host));
    }
    co_return found;
  }
  asio::awaitable<Status> leave(const std::string& host_id, const std::string&) override {
    Status found = known(host_id);
    if (found) registry_.erase(registry_.hosts.at(host_id));
    co_return found;
  }
  asio::awaitable<Result<ipam::HeartbeatAges>> heartbeat_ages() override {
    ipam::HeartbeatAges ages;
    for (const auto& [id, host] : registry_.hosts) ages[id] = host.alive ? 0 : 2 * kTtl.count();
    co_return ages;
  }
  std::chrono::milliseconds ttl() const override { return kTtl; }

 private:
  Status known(const std::string& host_id) const {
    if (registry_.hosts.contains(host_id)) return Ok{};
    return not_found("unknown_host", "no host " + host_id);
  }

  Registry& registry_;
};

// The server takes its handler once; each input gets a fresh router and registry behind it, so that
// what an input does never depends on the inputs before it.
struct Current : RequestHandler {
  asio::awaitable<HttpResponse> handle(const HttpRequest& request) override { return router->handle(request); }
  Router* router = nullptr;
};

struct Harness;
Harness& harness();

// The server, once for the whole run, on an io_context that runs only while an input is exchanged.
struct Harness {
  Harness() : server({.token = kToken}, {HttpWorker{io.get_executor(), &current}}) {
    spdlog::set_level(spdlog::level::warn);
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/vx-fuzz-http-XXXXXX";
    check(mkdtemp(pattern.data()) != nullptr, "a directory for the server's socket can be made");
    dir = pattern;
    socket = dir + "/http.sock";
    check(server.listen_unix(socket).ok(), "the server listens");
    server.start();
    std::atexit([] {
      ::unlink(harness().socket.c_str());
      ::rmdir(harness().dir.c_str());
    });
  }

  asio::io_context io;
  Current current;
  HttpServer server;
  std::string dir, socket;
};

// Never destroyed: the server's coroutines stay queued on its io_context to the end.
Harness& harness() {
  static Harness& instance = *new Harness;
  return instance;
}

// Sends `request` and half-closes, as a client with nothing more to say, while reading every answer
// until the server closes. A server that stops reading early (after a malformed request) is no
// failure here: what it answered is what counts.
asio::awaitable<std::string> exchange(const std::string& path, std::string_view request) {
  unix_socket::socket socket(co_await asio::this_coro::executor);
  auto [connected] = co_await socket.async_connect(unix_socket::endpoint(path), kNoThrow);
  check(!connected, "the server accepts");
  std::string answers;
  auto send = [&]() -> asio::awaitable<void> {
    co_await asio::async_write(socket, asio::buffer(request), kNoThrow);
    boost::system::error_code ignored;
    socket.shutdown(unix_socket::socket::shutdown_send, ignored);
  };
  auto receive = [&]() -> asio::awaitable<void> {
    co_await asio::async_read(socket, asio::dynamic_buffer(answers), kNoThrow);
  };
  co_await (send() && receive());
  co_return answers;
}

void check_answer(const http::response<http::string_body>& answer) {
  int status = answer.result_int();
  check(status != 500, "no handler throws");
  if (answer[http::field::content_type] != "application/json") return;
  boost::system::error_code ec;
  auto body = boost::json::parse(answer.body(), ec);
  check(!ec, "a JSON answer parses");
  if (status >= 400) {
    const auto* error = body.is_object() ? body.as_object().if_contains("error") : nullptr;
    const auto* detail = body.is_object() ? body.as_object().if_contains("detail") : nullptr;
    check(error && error->is_string() && !error->as_string().empty() && detail && detail->is_string(),
          "an error answer names its code and says why");
  }
  if (status == 405) check(!answer[http::field::allow].empty(), "a 405 says which methods are allowed");
}

void check_answers(std::string_view bytes) {
  while (!bytes.empty()) {
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    boost::beast::error_code ec;
    for (size_t used = 1; !ec && used > 0 && !parser.is_done();) {
      used = parser.put(asio::buffer(bytes.data(), bytes.size()), ec);
      bytes.remove_prefix(used);
    }
    check(!ec && parser.is_done(), "the server answers well-formed HTTP");
    check_answer(parser.get());
  }
}

}  // namespace
}  // namespace vx::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vx;
  fuzz::Harness& harness = fuzz::harness();
  ipam::ClusterView view;
  fuzz::Registry registry(view);
  auto router =
      ipam::make_ipam_router(std::make_unique<fuzz::FakeStore>(registry), std::make_unique<fuzz::FakeHosts>(registry),
                             fuzz::pool(), view, "serving without a token");
  harness.current.router = router.get();
  std::string answers = run_blocking(harness.io, fuzz::exchange(harness.socket, fuzz::as_text(data, size)));
  harness.current.router = nullptr;
  fuzz::check_answers(answers);
  return 0;
}
