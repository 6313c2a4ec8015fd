#include "agent/http_ipam_client.h"

#include <boost/json.hpp>

namespace vx {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

ErrorKind kind_of(int status) {
  switch (status) {
    case 400: return ErrorKind::kBadInput;
    case 401: return ErrorKind::kUnauthorized;
    case 404: return ErrorKind::kNotFound;
    case 409: return ErrorKind::kConflict;
    case 503: return ErrorKind::kUnavailable;
    default: return status >= 500 ? ErrorKind::kUnavailable : ErrorKind::kInternal;
  }
}

std::string field(const json::value& value, std::string_view key) {
  const json::object* object = value.if_object();
  const json::value* found = object ? object->if_contains(key) : nullptr;
  return found && found->is_string() ? std::string(found->as_string()) : std::string();
}

Endpoint endpoint_of(const json::value& value) {
  return {field(value, "container_name"), field(value, "ip_address"), field(value, "host_id"),
          field(value, "mac_address")};
}

}  // namespace

HttpIpamClient::HttpIpamClient(asio::any_io_executor executor, HttpEndpoint ipam,
                               std::chrono::milliseconds timeout, std::string token)
    : executor_(std::move(executor)), ipam_(std::move(ipam)), timeout_(timeout), token_(std::move(token)) {}

asio::awaitable<Result<json::value>> HttpIpamClient::call(std::string method, std::string target,
                                                          std::string body) {
  HttpCall request{std::move(method), std::move(target), std::move(body), timeout_, token_};
  auto response = co_await http_call(executor_, ipam_, std::move(request));
  if (!response) co_return response.error();
  boost::system::error_code ec;
  json::value parsed = json::parse(response->body, ec);
  if (response->status >= 200 && response->status < 300) {
    if (ec) co_return internal("bad_ipam_answer", "the IPAM at " + ipam_.to_string() + " answered no JSON");
    co_return parsed;
  }
  std::string code = ec ? "ipam_error" : field(parsed, "error");
  std::string detail = ec ? "" : field(parsed, "detail");
  co_return Error{kind_of(response->status), code.empty() ? "ipam_error" : code,
                  detail.empty() ? "the IPAM at " + ipam_.to_string() + " answered " +
                                       std::to_string(response->status)
                                 : detail};
}

asio::awaitable<Status> HttpIpamClient::call_status(std::string method, std::string target, std::string body) {
  auto answer = co_await call(std::move(method), std::move(target), std::move(body));
  if (!answer) co_return answer.error();
  co_return Ok{};
}

asio::awaitable<Status> HttpIpamClient::health() { return call_status("GET", "/health", ""); }

asio::awaitable<Result<std::string>> HttpIpamClient::register_host(const std::string& host_id,
                                                                   const std::string& underlay_ip,
                                                                   const std::string& agent_url) {
  std::string body = json::serialize(
      json::object{{"host_id", host_id}, {"underlay_ip", underlay_ip}, {"agent_url", agent_url}});
  auto answer = co_await call("POST", "/hosts", std::move(body));
  if (!answer) co_return answer.error();
  co_return field(*answer, "network_subnet");
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
  const json::object* object = answer->if_object();
  const json::value* created = object ? object->if_contains("created") : nullptr;
  co_return Reservation{field(*answer, "ip_address"), created && created->is_bool() && created->as_bool()};
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

asio::awaitable<Result<std::vector<Endpoint>>> HttpIpamClient::containers() {
  auto answer = co_await call("GET", "/containers", "");
  if (!answer) co_return answer.error();
  std::vector<Endpoint> out;
  if (const json::array* list = answer->if_array()) {
    for (const auto& entry : *list) out.push_back(endpoint_of(entry));
  }
  co_return out;
}

asio::awaitable<Result<Peers>> HttpIpamClient::peers() {
  auto answer = co_await call("GET", "/peers", "");
  if (!answer) co_return answer.error();
  Peers peers;
  const json::object* object = answer->if_object();
  const json::value* hosts = object ? object->if_contains("hosts") : nullptr;
  const json::value* endpoints = object ? object->if_contains("endpoints") : nullptr;
  if (hosts == nullptr || !hosts->is_array() || endpoints == nullptr || !endpoints->is_array()) {
    co_return internal("bad_ipam_answer", "the IPAM's /peers answer lacks hosts or endpoints");
  }
  for (const auto& host : hosts->as_array()) {
    auto underlay = Ipv4::parse(field(host, "underlay_ip"));
    const json::value* alive = host.is_object() ? host.as_object().if_contains("alive") : nullptr;
    if (underlay) peers.hosts.push_back({field(host, "host_id"), *underlay, alive && alive->is_bool() && alive->as_bool()});
  }
  for (const auto& endpoint : endpoints->as_array()) peers.endpoints.push_back(endpoint_of(endpoint));
  co_return peers;
}

}  // namespace vx
