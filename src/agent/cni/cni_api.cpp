#include "agent/cni/cni_api.h"

namespace vx::agent {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

Status valid_attachment(const PathParams& params) {
  if (Status id = proto::cni::validate_container_id(params.at("container_id")); !id) return id;
  return proto::cni::validate_ifname(params.at("ifname"));
}

std::string query_value(const HttpRequest& request, const std::string& key) {
  auto found = request.query.find(key);
  return found == request.query.end() ? std::string() : found->second;
}

}  // namespace

void CniApi::add_routes(Router& router) {
  router.add("PUT", "/cni/{container_id}/{ifname}", this, &CniApi::add);
  router.add("GET", "/cni/{container_id}/{ifname}", this, &CniApi::check);
  router.add("DELETE", "/cni/{container_id}/{ifname}", this, &CniApi::del);
  router.add("POST", "/cni/gc", this, &CniApi::gc);
}

asio::awaitable<HttpResponse> CniApi::add(const HttpRequest& request, const PathParams& params) {
  if (Status valid = valid_attachment(params); !valid) co_return error_response(valid.error());
  auto parsed = proto::cni::parse_attach_request(request.body);
  if (!parsed) co_return error_response(parsed.error());
  auto attached = co_await service_.add(params.at("container_id"), params.at("ifname"), *parsed);
  if (!attached) co_return error_response(attached.error());
  co_return json_response(200, proto::cni::to_json(*attached));
}

// ?netns=PATH: the namespace the runtime says the attachment is in.
asio::awaitable<HttpResponse> CniApi::check(const HttpRequest& request, const PathParams& params) {
  if (Status valid = valid_attachment(params); !valid) co_return error_response(valid.error());
  std::string netns = query_value(request, "netns");
  if (Status valid = proto::cni::validate_netns_path(netns); !valid) co_return error_response(valid.error());
  auto checked = co_await service_.check(params.at("container_id"), params.at("ifname"), netns);
  if (!checked) co_return error_response(checked.error());
  co_return json_response(200, proto::cni::to_json(*checked));
}

// ?name=NAME: what the runtime's arguments name it, for an add that never made its pair.
asio::awaitable<HttpResponse> CniApi::del(const HttpRequest& request, const PathParams& params) {
  if (Status valid = valid_attachment(params); !valid) co_return error_response(valid.error());
  std::string name = query_value(request, "name");
  if (!name.empty()) {
    if (Status valid = proto::validate_container_name(name); !valid) co_return error_response(valid.error());
  }
  if (Status done = co_await service_.del(params.at("container_id"), params.at("ifname"), name); !done) {
    co_return error_response(done.error());
  }
  co_return success_response({{"container_id", params.at("container_id")}, {"ifname", params.at("ifname")}});
}

asio::awaitable<HttpResponse> CniApi::gc(const HttpRequest& request, const PathParams&) {
  auto parsed = proto::cni::parse_gc_request(request.body);
  if (!parsed) co_return error_response(parsed.error());
  auto released = co_await service_.gc(*parsed);
  if (!released) co_return error_response(released.error());
  json::array names;
  for (const auto& name : *released) names.push_back(json::string(name));
  co_return success_response({{"released", std::move(names)}});
}

}  // namespace vx::agent
