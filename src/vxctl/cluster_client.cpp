#include "vxctl/cluster_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <optional>

#include "common/json_answer.h"

namespace vx::ctl {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// What the daemon said, or why it could not be asked: unreachable daemons get the hint that
// matters to a person (which address was tried and how to change it).
Result<json::value> answer_of(const Result<HttpResponse>& response, const std::string& peer, const std::string& hint) {
  if (!response) {
    return unavailable("unreachable", peer + " does not answer (" + response.error().detail + ")" + hint);
  }
  auto answer = json_answer(*response, peer);
  // A daemon's own failure reads better with its name: "the agent at ... failed: ...".
  if (!answer && answer.error().kind == ErrorKind::kInternal) {
    return Error{ErrorKind::kInternal, answer.error().code, peer + " failed: " + answer.error().detail};
  }
  return answer;
}

std::string agent_name(const std::string& agent_url) { return "the agent at " + agent_url; }

}  // namespace

Result<ClusterClient> ClusterClient::connect(ClusterOptions options) {
  auto ipam = parse_http_url(options.ipam_url);
  if (!ipam) return bad_input("invalid_ipam_url", "--ipam / VXLAN_IPAM: " + ipam.error().detail);
  return ClusterClient(std::move(options), std::move(*ipam));
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

Result<json::value> ClusterClient::ipam(const std::string& method, const std::string& target, std::string body) {
  auto response = http_call_blocking(ipam_, make_call(method, target, std::move(body), {}));
  return answer_of(response, "the IPAM at " + options_.ipam_url, "; set --ipam or VXLAN_IPAM");
}

Result<std::string> ClusterClient::agent_url_of(const std::string& host_id) {
  auto hosts = ipam("GET", "/hosts");
  if (!hosts) return hosts.error();
  if (const json::array* list = hosts->if_array()) {
    for (const auto& host : *list) {
      if (string_field(host, "host_id") == host_id) return string_field(host, "agent_url");
    }
  }
  return not_found("unknown_host", "no host named '" + host_id + "' is registered with the IPAM");
}

Result<Placement> ClusterClient::locate(const std::string& container_name) {
  auto record = ipam("GET", "/container/" + container_name);
  if (!record && record.error().kind == ErrorKind::kNotFound) {
    return not_found("unknown_container", "no container named '" + container_name + "' in the cluster");
  }
  if (!record) return record.error();
  if (!record->is_object()) return internal("bad_answer", "the IPAM's record of '" + container_name + "' is not an object");
  std::string host_id = string_field(*record, "host_id");
  auto agent_url = agent_url_of(host_id);
  if (!agent_url) return agent_url.error();
  return Placement{std::move(*record), std::move(host_id), std::move(*agent_url)};
}

Result<json::value> ClusterClient::agent(const std::string& agent_url, const std::string& method,
                                         const std::string& target, std::string body,
                                         std::chrono::milliseconds timeout) {
  auto endpoint = parse_http_url(agent_url);
  if (!endpoint) return internal("bad_agent_url", "the IPAM lists an agent URL that is not http: " + agent_url);
  auto response = http_call_blocking(*endpoint, make_call(method, target, std::move(body), timeout));
  return answer_of(response, agent_name(agent_url), "");
}

std::vector<Result<json::value>> ClusterClient::agents_get(const std::vector<std::string>& agent_urls,
                                                           const std::string& target) {
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
          HttpCall call = make_call("GET", target, {}, {});
          auto response = co_await http_call(io.get_executor(), endpoint, std::move(call));
          answers[i].emplace(answer_of(response, agent_name(agent_urls[i]), ""));
        },
        asio::detached);
  }
  io.run();
  std::vector<Result<json::value>> out;
  for (auto& answer : answers) out.emplace_back(std::move(*answer));
  return out;
}

}  // namespace vx::ctl
