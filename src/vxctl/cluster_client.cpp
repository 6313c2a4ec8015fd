#include "vxctl/cluster_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <optional>

#include "common/json_answer.h"
#include "common/run_blocking.h"

namespace vx::ctl {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using proto::to_json;

// Creating pulls nothing (images are local) but may wait on Docker's create and start, which the
// agent gives 30 s each; removing may wait on Docker's stop.
constexpr std::chrono::milliseconds kCreateTimeout{75'000};

// A daemon's own failure reads better with its name: "the agent at ... failed: ...".
Error named(Error error, const std::string& peer) {
  if (error.kind == ErrorKind::kInternal) error.detail = peer + " failed: " + error.detail;
  return error;
}

// What an agent said, or why it could not be asked.
Result<json::value> agent_answer(const Result<HttpResponse>& response, const std::string& agent_url) {
  std::string peer = "the agent at " + agent_url;
  if (!response) return peer_unreachable(peer, response.error());
  auto answer = json_answer(*response, peer);
  if (!answer) return named(answer.error(), peer);
  return answer;
}

}  // namespace

Result<ClusterClient> ClusterClient::connect(ClusterOptions options) {
  auto replicas = parse_http_urls(options.ipam_url);
  if (!replicas) return bad_input("invalid_ipam_url", "--ipam / VXLAN_IPAM: " + replicas.error().detail);
  return ClusterClient(std::move(options), std::move(*replicas));
}

ClusterClient::ClusterClient(ClusterOptions options, std::vector<HttpEndpoint> replicas)
    : options_(std::move(options)),
      io_(std::make_unique<asio::io_context>()),
      ipam_(std::make_unique<ipam::HttpIpamClient>(
          io_->get_executor(), ipam::IpamClientOptions{std::move(replicas), options_.timeout, options_.token, ""})) {}

template <typename T>
Result<T> ClusterClient::ask_ipam(asio::awaitable<Result<T>> call) {
  Result<T> answer = run_blocking(*io_, std::move(call));
  if (answer) return answer;
  Error error = named(answer.error(), ipam_->name());
  // The one failure a person fixes on vxctl's side: where it looks for the IPAM.
  if (error.code == "unreachable") error.detail += "; set --ipam or VXLAN_IPAM";
  return error;
}

Result<std::vector<proto::HostStatus>> ClusterClient::hosts() { return ask_ipam(ipam_->hosts()); }
Result<std::vector<proto::Endpoint>> ClusterClient::containers() { return ask_ipam(ipam_->containers("")); }
Result<proto::PoolStats> ClusterClient::stats(const std::string& network) { return ask_ipam(ipam_->stats(network)); }
Result<proto::NameCheck> ClusterClient::check(const std::string& name) { return ask_ipam(ipam_->check(name)); }
Result<proto::HostRemoval> ClusterClient::remove_host(const std::string& host_id) {
  return ask_ipam(ipam_->remove_host(host_id));
}
Result<std::vector<proto::NetworkStatus>> ClusterClient::networks() { return ask_ipam(ipam_->networks()); }
Result<proto::NetworkStatus> ClusterClient::network(const std::string& name) { return ask_ipam(ipam_->network(name)); }
Result<proto::NetworkStatus> ClusterClient::create_network(const proto::NetworkRequest& request) {
  return ask_ipam(ipam_->create_network(request));
}
Status ClusterClient::delete_network(const std::string& name) { return ask_ipam(ipam_->delete_network(name)); }
Result<proto::Update> ClusterClient::watch(std::optional<uint64_t> since, std::chrono::milliseconds wait) {
  return ask_ipam(ipam_->watch_peers(since, wait));
}

HttpCall ClusterClient::make_call(const std::string& method, const std::string& target, std::string body,
                                  std::chrono::milliseconds timeout) const {
  HttpCall call;
  call.method = method;
  call.target = target;
  call.body = std::move(body);
  call.timeout = timeout.count() > 0 ? timeout : options_.timeout;
  call.token = options_.token;
  return call;
}

Result<std::string> ClusterClient::agent_url_of(const std::string& host_id) {
  auto listed = hosts();
  if (!listed) return listed.error();
  for (const auto& status : *listed) {
    if (status.host.host_id == host_id) return status.host.agent_url;
  }
  return not_found("unknown_host", "no host named '" + host_id + "' is registered with the IPAM");
}

Result<Placement> ClusterClient::locate(const std::string& container_name) {
  auto record = ask_ipam(ipam_->container(container_name));
  if (!record && record.error().kind == ErrorKind::kNotFound) {
    return not_found("unknown_container", "no container named '" + container_name + "' in the cluster");
  }
  if (!record) return record.error();
  auto agent_url = agent_url_of(record->host_id);
  if (!agent_url) return agent_url.error();
  return Placement{std::move(*record), std::move(*agent_url)};
}

Result<json::value> ClusterClient::agent(const std::string& agent_url, const std::string& method,
                                         const std::string& target, std::string body,
                                         std::chrono::milliseconds timeout) {
  auto endpoint = parse_http_url(agent_url);
  if (!endpoint) return internal("bad_agent_url", "the IPAM lists an agent URL that is not http: " + agent_url);
  auto response = http_call_blocking(*endpoint, make_call(method, target, std::move(body), timeout));
  return agent_answer(response, agent_url);
}

Result<proto::Container> ClusterClient::create(const std::string& agent_url, const proto::CreateRequest& request) {
  auto answer = agent(agent_url, "POST", "/create_container", json::serialize(to_json(request)), kCreateTimeout);
  if (!answer) return answer.error();
  return proto::parse_container(*answer);
}

Result<proto::Container> ClusterClient::remove(const std::string& agent_url, const std::string& name) {
  auto answer = agent(agent_url, "DELETE", "/container/" + name, {}, kCreateTimeout);
  if (!answer) return answer.error();
  return proto::parse_container(*answer);
}

Result<proto::Container> ClusterClient::container(const std::string& agent_url, const std::string& name) {
  auto answer = agent(agent_url, "GET", "/container/" + name);
  if (!answer) return answer.error();
  return proto::parse_container(*answer);
}

Result<proto::PingReport> ClusterClient::ping(const std::string& agent_url, const std::string& name,
                                              const proto::PingRequest& request) {
  // The probes run one after another on the agent, each under its own timeout, after the agent
  // asked Docker and the IPAM (5 s each at most) where to probe from and to.
  auto deadline = request.count * (request.timeout + std::chrono::milliseconds(200)) + std::chrono::seconds(15);
  auto answer = agent(agent_url, "POST", "/container/" + name + "/ping", json::serialize(to_json(request)),
                      std::chrono::duration_cast<std::chrono::milliseconds>(deadline));
  if (!answer) return answer.error();
  return proto::parse_ping_report(*answer);
}

std::vector<Result<json::value>> ClusterClient::ask_each(const std::vector<std::string>& agent_urls,
                                                        const std::string& method, const std::string& target) {
  asio::io_context io;
  std::vector<std::optional<Result<json::value>>> answers(agent_urls.size());
  for (size_t i = 0; i < agent_urls.size(); ++i) {
    auto endpoint = parse_http_url(agent_urls[i]);
    if (!endpoint) {
      answers[i].emplace(internal("bad_agent_url", "the IPAM lists an agent URL that is not http: " + agent_urls[i]));
      continue;
    }
    asio::co_spawn(
        io,
        [&, i, endpoint = std::move(*endpoint)]() -> asio::awaitable<void> {
          HttpCall call = make_call(method, target, {}, {});
          auto response = co_await http_call(io.get_executor(), endpoint, std::move(call));
          answers[i].emplace(agent_answer(response, agent_urls[i]));
        },
        asio::detached);
  }
  io.run();
  std::vector<Result<json::value>> out;
  for (auto& answer : answers) out.push_back(std::move(*answer));
  return out;
}

template <typename Parse>
auto ClusterClient::ask_each_parsed(const std::vector<std::string>& agent_urls, const std::string& method,
                                    const std::string& target, Parse parse)
    -> std::vector<decltype(parse(json::value()))> {
  std::vector<decltype(parse(json::value()))> out;
  for (auto& answer : ask_each(agent_urls, method, target)) {
    if (answer) {
      out.push_back(parse(*answer));
    } else {
      out.push_back(answer.error());
    }
  }
  return out;
}

std::vector<Result<std::vector<proto::Container>>> ClusterClient::containers_of(
    const std::vector<std::string>& agent_urls) {
  return ask_each_parsed(agent_urls, "GET", "/containers", proto::parse_containers);
}

std::vector<Result<std::vector<proto::ForwardingEntry>>> ClusterClient::forwarding_of(
    const std::vector<std::string>& agent_urls) {
  return ask_each_parsed(agent_urls, "GET", "/fdb", proto::parse_forwarding_entries);
}

std::vector<Status> ClusterClient::sync(const std::vector<std::string>& agent_urls) {
  std::vector<Status> out;
  for (auto& answer : ask_each(agent_urls, "POST", "/sync")) out.push_back(answer ? Status(Ok{}) : Status(answer.error()));
  return out;
}

}  // namespace vx::ctl
