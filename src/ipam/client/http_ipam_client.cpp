#include "ipam/client/http_ipam_client.h"

#include <boost/json.hpp>

#include "common/json_answer.h"

namespace vx::ipam {

namespace asio = boost::asio;
namespace json = boost::json;

HttpIpamClient::HttpIpamClient(asio::any_io_executor executor, IpamClientOptions options)
    : executor_(std::move(executor)), options_(std::move(options)) {}

std::string HttpIpamClient::name() const {
  std::string out = options_.replicas.size() == 1 ? "the IPAM at " : "the IPAMs at ";
  for (size_t i = 0; i < options_.replicas.size(); ++i) {
    out += (i ? ", http://" : "http://") + options_.replicas[i].to_string();
  }
  return out;
}

asio::awaitable<Result<json::value>> HttpIpamClient::call(std::string method, std::string target,
                                                          std::string body, std::chrono::milliseconds wait) {
  HttpCall request{std::move(method), std::move(target),  std::move(body),
                   options_.timeout + wait, options_.token, options_.instance};
  Result<HttpResponse> response = unavailable("unreachable", "no IPAM is configured");
  for (size_t tried = 0; tried < options_.replicas.size(); ++tried) {
    size_t replica = (current_ + tried) % options_.replicas.size();
    response = co_await http_call(executor_, options_.replicas[replica], request);
    if (response && response->status != 503) {
      current_ = replica;
      break;
    }
  }
  if (!response) co_return peer_unreachable(name(), response.error());
  co_return json_answer(*response, name());
}

asio::awaitable<Status> HttpIpamClient::call_status(std::string method, std::string target, std::string body) {
  auto answer = co_await call(std::move(method), std::move(target), std::move(body));
  if (!answer) co_return answer.error();
  co_return Ok{};
}

template <typename Parse>
auto HttpIpamClient::call_parsed(std::string method, std::string target, std::string body, Parse parse)
    -> asio::awaitable<decltype(parse(json::value()))> {
  auto answer = co_await call(std::move(method), std::move(target), std::move(body));
  if (!answer) co_return answer.error();
  co_return parse(*answer);
}

asio::awaitable<Result<std::string>> HttpIpamClient::register_host(const proto::HostRegistration& host) {
  auto registered = co_await call_parsed("POST", "/hosts", json::serialize(to_json(host)), proto::parse_registered);
  if (!registered) co_return registered.error();
  co_return std::move(registered->network_subnet);
}

asio::awaitable<Status> HttpIpamClient::heartbeat(const std::string& host_id) {
  return call_status("POST", "/hosts/" + host_id + "/heartbeat", "");
}

asio::awaitable<Result<proto::Reservation>> HttpIpamClient::allocate(const proto::AllocateRequest& request) {
  return call_parsed("POST", "/allocate", json::serialize(to_json(request)), proto::parse_reservation);
}

asio::awaitable<Status> HttpIpamClient::release(const std::string& name, const std::string& host_id) {
  return release_held(name, host_id, "");
}

asio::awaitable<Status> HttpIpamClient::release_held(const std::string& name, const std::string& host_id,
                                                     const std::string& mac) {
  return call_status("POST", "/deallocate", json::serialize(to_json(proto::ReleaseRequest{name, host_id, "", mac})));
}

asio::awaitable<Status> HttpIpamClient::record_endpoint(const std::string& name,
                                                        const proto::EndpointRecord& record) {
  return call_status("POST", "/container/" + name + "/endpoint", json::serialize(to_json(record)));
}

asio::awaitable<Result<proto::Endpoint>> HttpIpamClient::rename(const std::string& name,
                                                                const proto::RenameRequest& request) {
  return call_parsed("POST", "/container/" + name + "/rename", json::serialize(to_json(request)),
                     proto::parse_endpoint);
}

asio::awaitable<Result<std::vector<proto::Endpoint>>> HttpIpamClient::containers(const std::string& host_id) {
  return call_parsed("GET", host_id.empty() ? "/containers" : "/containers?host_id=" + host_id, "",
                     proto::parse_endpoints);
}

asio::awaitable<Result<proto::Endpoint>> HttpIpamClient::container(const std::string& name) {
  return call_parsed("GET", "/container/" + name, "", proto::parse_endpoint);
}

asio::awaitable<Result<std::vector<proto::HostStatus>>> HttpIpamClient::hosts() {
  return call_parsed("GET", "/hosts", "", proto::parse_host_statuses);
}

asio::awaitable<Result<proto::PoolStats>> HttpIpamClient::stats(const std::string& network) {
  return call_parsed("GET", network == proto::kDefaultNetwork ? "/stats" : "/stats?network=" + network, "",
                     proto::parse_pool_stats);
}

asio::awaitable<Result<proto::NetworkStatus>> HttpIpamClient::network(const std::string& name) {
  return call_parsed("GET", "/networks/" + name, "", proto::parse_network_status);
}

asio::awaitable<Result<std::vector<proto::NetworkStatus>>> HttpIpamClient::networks() {
  return call_parsed("GET", "/networks", "", proto::parse_network_statuses);
}

asio::awaitable<Result<proto::NetworkStatus>> HttpIpamClient::create_network(const proto::NetworkRequest& request) {
  return call_parsed("POST", "/networks", json::serialize(to_json(request)), proto::parse_network_status);
}

asio::awaitable<Status> HttpIpamClient::delete_network(const std::string& name) {
  return call_status("DELETE", "/networks/" + name, "");
}

asio::awaitable<Result<proto::NameCheck>> HttpIpamClient::check(const std::string& name) {
  return call_parsed("GET", "/check/" + name, "", proto::parse_name_check);
}

asio::awaitable<Result<proto::HostRemoval>> HttpIpamClient::remove_host(const std::string& host_id) {
  return call_parsed("DELETE", "/hosts/" + host_id + "?release=true", "", proto::parse_host_removal);
}

asio::awaitable<Result<proto::Update>> HttpIpamClient::watch_peers(std::optional<uint64_t> since,
                                                                   std::chrono::milliseconds wait) {
  std::string target = "/peers";
  if (since) target += "?since=" + std::to_string(*since) + "&wait_ms=" + std::to_string(wait.count());
  auto answer = co_await call("GET", std::move(target), "", since ? wait : std::chrono::milliseconds(0));
  if (!answer) co_return answer.error();
  co_return proto::parse_update(*answer);
}

}  // namespace vx::ipam
