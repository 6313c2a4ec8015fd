#include "agent/http_ipam_client.h"

#include <boost/json.hpp>

#include "common/json_answer.h"

namespace vx::agent {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

Endpoint endpoint_of(const json::value& value) {
  return {string_field(value, "container_name"), string_field(value, "ip_address"), string_field(value, "host_id"),
          string_field(value, "mac_address")};
}

}  // namespace

HttpIpamClient::HttpIpamClient(asio::any_io_executor executor, HttpEndpoint ipam,
                               std::chrono::milliseconds timeout, std::string token)
    : executor_(std::move(executor)), ipam_(std::move(ipam)), timeout_(timeout), token_(std::move(token)) {}

asio::awaitable<Result<json::value>> HttpIpamClient::call(std::string method, std::string target,
                                                          std::string body, std::chrono::milliseconds wait) {
  HttpCall request{std::move(method), std::move(target), std::move(body), timeout_ + wait, token_};
  auto response = co_await http_call(executor_, ipam_, std::move(request));
  if (!response) co_return response.error();
  co_return json_answer(*response, "the IPAM at " + ipam_.to_string());
}

asio::awaitable<Status> HttpIpamClient::call_status(std::string method, std::string target, std::string body) {
  auto answer = co_await call(std::move(method), std::move(target), std::move(body));
  if (!answer) co_return answer.error();
  co_return Ok{};
}

asio::awaitable<Result<std::string>> HttpIpamClient::register_host(const std::string& host_id,
                                                                   const std::string& underlay_ip,
                                                                   const std::string& agent_url) {
  std::string body = json::serialize(
      json::object{{"host_id", host_id}, {"underlay_ip", underlay_ip}, {"agent_url", agent_url}});
  auto answer = co_await call("POST", "/hosts", std::move(body));
  if (!answer) co_return answer.error();
  co_return string_field(*answer, "network_subnet");
}

asio::awaitable<Status> HttpIpamClient::heartbeat(const std::string& host_id) {
  return call_status("POST", "/hosts/" + host_id + "/heartbeat", "");
}

asio::awaitable<Result<Reservation>> HttpIpamClient::allocate(const std::string& name, const std::string& host_id,
                                                              const std::string& ip_address) {
  json::object request{{"container_name", name}, {"host_id", host_id}};
  if (!ip_address.empty()) request["ip_address"] = ip_address;
  auto answer = co_await call("POST", "/allocate", json::serialize(request));
  if (!answer) co_return answer.error();
  co_return Reservation{string_field(*answer, "ip_address"), bool_field(*answer, "created")};
}

asio::awaitable<Status> HttpIpamClient::release(const std::string& name, const std::string& host_id) {
  return call_status("POST", "/deallocate",
                     json::serialize(json::object{{"container_name", name}, {"host_id", host_id}}));
}

asio::awaitable<Status> HttpIpamClient::record_endpoint(const std::string& name, const std::string& host_id,
                                                        const std::string& mac) {
  return call_status("POST", "/container/" + name + "/endpoint",
                     json::serialize(json::object{{"host_id", host_id}, {"mac_address", mac}}));
}

asio::awaitable<Result<std::vector<Endpoint>>> HttpIpamClient::containers(const std::string& host_id) {
  auto answer = co_await call("GET", "/containers?host_id=" + host_id, "");
  if (!answer) co_return answer.error();
  std::vector<Endpoint> out;
  if (const json::array* list = answer->if_array()) {
    for (const auto& entry : *list) out.push_back(endpoint_of(entry));
  }
  co_return out;
}

asio::awaitable<Result<Endpoint>> HttpIpamClient::container(const std::string& name) {
  auto answer = co_await call("GET", "/container/" + name, "");
  if (!answer) co_return answer.error();
  co_return endpoint_of(*answer);
}

asio::awaitable<Result<proto::Update>> HttpIpamClient::watch_peers(std::optional<uint64_t> since,
                                                                   std::chrono::milliseconds wait) {
  std::string target = "/peers";
  if (since) target += "?since=" + std::to_string(*since) + "&wait_ms=" + std::to_string(wait.count());
  auto answer = co_await call("GET", std::move(target), "", since ? wait : std::chrono::milliseconds(0));
  if (!answer) co_return answer.error();
  co_return proto::parse_update(*answer);
}

}  // namespace vx::agent
