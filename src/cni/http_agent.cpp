#include "cni/http_agent.h"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "common/auth.h"
#include "common/http_client.h"
#include "common/json_answer.h"

namespace vx::cni {

namespace json = boost::json;

namespace {

// Under the runtimes' own patience (CRI's default is minutes), over a network's first set-up.
constexpr std::chrono::seconds kAddTimeout{60};
constexpr std::chrono::seconds kCallTimeout{10};

std::string encoded(std::string_view text) { return boost::urls::encode(text, boost::urls::unreserved_chars); }

class HttpAgent : public AgentCalls {
 public:
  HttpAgent(HttpEndpoint endpoint, std::string url, std::string token)
      : endpoint_(std::move(endpoint)), url_(std::move(url)), token_(std::move(token)) {}

  Result<proto::cni::Attachment> add(const std::string& container_id, const std::string& ifname,
                                     const proto::cni::AttachRequest& request) override {
    auto answer = ask("PUT", path_of(container_id, ifname), json::serialize(proto::cni::to_json(request)), kAddTimeout);
    if (!answer) return answer.error();
    return proto::cni::parse_attachment(*answer);
  }

  Result<proto::cni::Attachment> check(const std::string& container_id, const std::string& ifname,
                                       const std::string& netns) override {
    auto answer = ask("GET", path_of(container_id, ifname) + "?netns=" + encoded(netns), "", kCallTimeout);
    if (!answer) return answer.error();
    return proto::cni::parse_attachment(*answer);
  }

  Status del(const std::string& container_id, const std::string& ifname, const std::string& name) override {
    return done(ask("DELETE", path_of(container_id, ifname) + "?name=" + encoded(name), "", kCallTimeout));
  }

  Status gc(const proto::cni::GcRequest& request) override {
    return done(ask("POST", "/cni/gc", json::serialize(proto::cni::to_json(request)), kCallTimeout));
  }

  Status health() override { return done(ask("GET", "/health", "", kCallTimeout)); }

 private:
  static std::string path_of(const std::string& container_id, const std::string& ifname) {
    return "/cni/" + encoded(container_id) + "/" + encoded(ifname);
  }
  static Status done(const Result<json::value>& answer) { return answer ? Status(Ok{}) : Status(answer.error()); }

  Result<json::value> ask(const std::string& method, const std::string& target, std::string body,
                          std::chrono::milliseconds timeout) {
    HttpCall call;
    call.method = method;
    call.target = target;
    call.body = std::move(body);
    call.timeout = timeout;
    call.token = token_;
    std::string peer = "the agent at " + url_;
    auto response = http_call_blocking(endpoint_, std::move(call));
    if (!response) return peer_unreachable(peer, response.error());
    return json_answer(*response, peer);
  }

  HttpEndpoint endpoint_;
  std::string url_;
  std::string token_;
};

}  // namespace

Result<std::unique_ptr<AgentCalls>> connect_http(const proto::cni::NetConf& conf) {
  auto endpoint = parse_http_url(conf.agent_url);
  if (!endpoint) return bad_input("invalid_agent_url", "agent_url: " + endpoint.error().detail);
  // No token file: none, whatever the runtime's environment holds.
  std::string token;
  if (!conf.token_file.empty()) {
    auto loaded = load_token(conf.token_file);
    if (!loaded) return bad_input("invalid_token_file", "token_file: " + loaded.error().detail);
    token = std::move(*loaded);
  }
  return std::unique_ptr<AgentCalls>(std::make_unique<HttpAgent>(std::move(*endpoint), conf.agent_url, std::move(token)));
}

}  // namespace vx::cni
